import { kafkaBackend, realMysqlBackend } from '@hsg/testing';
import { describeEventTransportContract } from '@hsg/testing/contracts';

// The MySQL flavour of the outbox and the idempotent consumer (doctor's store), on Kafka.
describeEventTransportContract(() => kafkaBackend(realMysqlBackend()));
