import { embeddedLogBackend } from '@hsg/testing';
import { describeAppointmentAudit } from './audit-suite.ts';

describeAppointmentAudit(embeddedLogBackend);
