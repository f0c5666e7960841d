import { describeSqlContract, pgliteBackend } from '@hsg/testing';

describeSqlContract(pgliteBackend);
