import { embeddedLogBackend } from '@hsg/testing';
import { describeAuditTrail } from './audit-trail-suite.ts';

describeAuditTrail(embeddedLogBackend);
