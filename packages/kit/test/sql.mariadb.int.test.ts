import { realMysqlBackend } from '@hsg/testing';
import { describeSqlContract } from '@hsg/testing/contracts';

describeSqlContract(realMysqlBackend);
