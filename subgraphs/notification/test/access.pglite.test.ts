import { embeddedLogBackend } from '@hsg/testing';
import { describeNotificationAccess } from './access-suite.ts';

describeNotificationAccess(embeddedLogBackend);
