import { embeddedLogBackend } from '@hsg/testing';
import { describePatientApi } from './patient-api.ts';

describePatientApi(embeddedLogBackend);
