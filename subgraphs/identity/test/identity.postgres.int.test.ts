import { kafkaBackend } from '@hsg/testing';
import { describeIdentityApi } from './identity-api.ts';

describeIdentityApi(kafkaBackend);
