import { kafkaBackend } from '@hsg/testing';
import { describePatientAudit } from './audit-suite.ts';

describePatientAudit(kafkaBackend);
