import { embeddedLogBackend } from '@hsg/testing';
import { describeIdentityApi } from './identity-api.ts';

describeIdentityApi(embeddedLogBackend);
