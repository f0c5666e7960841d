import { kafkaBackend } from '@hsg/testing';
import { describeSmtpDelivery } from './smtp-suite.ts';

describeSmtpDelivery(kafkaBackend);
