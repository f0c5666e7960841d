import { pgliteBackend } from '@hsg/testing';
import { describeDoctorStoreContract } from './store-contract.ts';

describeDoctorStoreContract(pgliteBackend());
