import { embeddedLogBackend } from '@hsg/testing';
import { describeAppointmentApi } from './appointment-api.ts';

describeAppointmentApi(embeddedLogBackend);
