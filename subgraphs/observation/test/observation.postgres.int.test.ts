import { kafkaBackend } from '@hsg/testing';
import { describeObservationApi } from './observation-api.ts';

describeObservationApi(kafkaBackend);
