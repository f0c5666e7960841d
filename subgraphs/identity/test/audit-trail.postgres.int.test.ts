import { kafkaBackend } from '@hsg/testing';
import { describeAuditTrail } from './audit-trail-suite.ts';

describeAuditTrail(kafkaBackend);
