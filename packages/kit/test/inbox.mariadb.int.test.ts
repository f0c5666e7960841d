import { realMysqlBackend } from '@hsg/testing';
import { describeInboxContract, sqlInboxBackend } from '@hsg/testing/contracts';

describeInboxContract(sqlInboxBackend(realMysqlBackend));
