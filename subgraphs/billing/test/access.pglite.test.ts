import { embeddedLogBackend } from '@hsg/testing';
import { describeBillingAccess } from './access-suite.ts';

describeBillingAccess(embeddedLogBackend);
