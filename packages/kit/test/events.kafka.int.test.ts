import { describeEventTransportContract, kafkaBackend } from '@hsg/testing';

describeEventTransportContract(kafkaBackend);
