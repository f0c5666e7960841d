import { embeddedLogBackend } from '@hsg/testing';
import { describeDoctorApi } from './doctor-api.ts';

describeDoctorApi(embeddedLogBackend);
