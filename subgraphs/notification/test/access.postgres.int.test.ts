import { kafkaBackend } from '@hsg/testing';
import { describeNotificationAccess } from './access-suite.ts';

describeNotificationAccess(kafkaBackend);
