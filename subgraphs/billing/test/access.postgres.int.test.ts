import { kafkaBackend } from '@hsg/testing';
import { describeBillingAccess } from './access-suite.ts';

describeBillingAccess(kafkaBackend);
