import { embeddedLogBackend } from '@hsg/testing';
import { describeObservationApi } from './observation-api.ts';

describeObservationApi(embeddedLogBackend);
