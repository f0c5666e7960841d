import { pgliteBackend } from '@hsg/testing';
import { describeSqlContract } from '@hsg/testing/contracts';

describeSqlContract(pgliteBackend);
