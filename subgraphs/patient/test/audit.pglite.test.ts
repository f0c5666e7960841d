import { embeddedLogBackend } from '@hsg/testing';
import { describePatientAudit } from './audit-suite.ts';

describePatientAudit(embeddedLogBackend);
