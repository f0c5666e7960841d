import { z } from 'zod';

/**
 * The patient subgraph's own environment: nothing beyond what the kit reads for every subgraph (PORT
 * 4101, HOST, LOG_LEVEL, DATABASE_URL, DATABASE_SCHEMA `patient`, DATABASE_POOL_SIZE, KAFKA_BROKERS).
 */
export const patientSettings = z.object({});

export type PatientSettings = z.output<typeof patientSettings>;
