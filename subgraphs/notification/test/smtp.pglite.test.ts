import { embeddedLogBackend } from '@hsg/testing';
import { describeSmtpDelivery } from './smtp-suite.ts';

describeSmtpDelivery(embeddedLogBackend);
