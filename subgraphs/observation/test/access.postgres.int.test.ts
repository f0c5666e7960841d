import { kafkaBackend } from '@hsg/testing';
import { describeObservationAccess } from './access-suite.ts';

describeObservationAccess(kafkaBackend);
