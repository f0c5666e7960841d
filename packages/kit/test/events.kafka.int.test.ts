import { kafkaBackend } from '@hsg/testing';
import { describeEventTransportContract } from '@hsg/testing/contracts';

describeEventTransportContract(kafkaBackend);
