import { kafkaBackend } from '@hsg/testing';
import { describeAppointmentApi } from './appointment-api.ts';

describeAppointmentApi(kafkaBackend);
