import { embeddedLogBackend } from '@hsg/testing';
import { describeEventTransportContract } from '@hsg/testing/contracts';

describeEventTransportContract(embeddedLogBackend);
