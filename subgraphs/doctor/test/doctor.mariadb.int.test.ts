import { kafkaBackend, realMysqlBackend } from '@hsg/testing';
import { describeDoctorApi } from './doctor-api.ts';

// Real mode's pairing: the doctor store on MariaDB (the MySQL outbox), events on Kafka.
describeDoctorApi(() => kafkaBackend(realMysqlBackend()));
