import { realPostgresBackend } from '@hsg/testing';
import { describeSqlContract } from '@hsg/testing/contracts';

describeSqlContract(realPostgresBackend);
