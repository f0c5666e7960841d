import { kafkaBackend } from '@hsg/testing';
import { describeBillingApi } from './billing-api.ts';

describeBillingApi(kafkaBackend);
