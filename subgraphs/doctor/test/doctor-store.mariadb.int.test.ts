import { realMysqlBackend } from '@hsg/testing';
import { describeDoctorStoreContract } from './store-contract.ts';

describeDoctorStoreContract(realMysqlBackend());
