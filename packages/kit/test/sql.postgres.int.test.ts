import { describeSqlContract, realPostgresBackend } from '@hsg/testing';

describeSqlContract(realPostgresBackend);
