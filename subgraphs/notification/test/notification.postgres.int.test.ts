import { kafkaBackend } from '@hsg/testing';
import { describeNotificationApi } from './notification-api.ts';

describeNotificationApi(kafkaBackend);
