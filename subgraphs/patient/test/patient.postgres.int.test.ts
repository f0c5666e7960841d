import { kafkaBackend } from '@hsg/testing';
import { describePatientApi } from './patient-api.ts';

describePatientApi(kafkaBackend);
