import { z } from 'zod';

/**
 * The doctor subgraph's own environment: nothing beyond what the kit reads for every subgraph (PORT
 * 4102, HOST, LOG_LEVEL, DATABASE_URL as mysql://, DATABASE_NAME `doctor`, DATABASE_POOL_SIZE,
 * KAFKA_BROKERS).
 */
export const doctorSettings = z.object({});

export type DoctorSettings = z.output<typeof doctorSettings>;
