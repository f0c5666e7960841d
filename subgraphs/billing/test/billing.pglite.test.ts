import { embeddedLogBackend } from '@hsg/testing';
import { describeBillingApi } from './billing-api.ts';

describeBillingApi(embeddedLogBackend);
