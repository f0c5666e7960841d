import { embeddedLogBackend } from '@hsg/testing';
import { describeObservationAccess } from './access-suite.ts';

describeObservationAccess(embeddedLogBackend);
