import { describeEventTransportContract, embeddedLogBackend } from '@hsg/testing';

describeEventTransportContract(embeddedLogBackend);
