import { kafkaBackend } from '@hsg/testing';
import { describeAppointmentAudit } from './audit-suite.ts';

describeAppointmentAudit(kafkaBackend);
