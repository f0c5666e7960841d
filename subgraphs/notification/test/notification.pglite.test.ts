import { embeddedLogBackend } from '@hsg/testing';
import { describeNotificationApi } from './notification-api.ts';

describeNotificationApi(embeddedLogBackend);
