import { z } from 'zod';

/**
 * The billing subgraph's own environment, beyond what the kit reads for every subgraph (PORT 4105, HOST,
 * LOG_LEVEL, DATABASE_URL, DATABASE_SCHEMA `billing`, DATABASE_POOL_SIZE, KAFKA_BROKERS).
 */
export const billingSettings = z.object({
  /** Minor units charged for a NO_SHOW, in the doctor's fee currency; unset: no-shows are not invoiced. */
  BILLING_NO_SHOW_FEE_MINOR: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
  /** dueDate = the issue date plus this many days. */
  INVOICE_DUE_DAYS: z.coerce.number().int().min(0).max(365).default(14),
  /** On every invoice PDF. */
  CLINIC_NAME: z.string().trim().min(1).max(200).default('Healthcare Supergraph Clinic'),
});

export type BillingSettings = z.output<typeof billingSettings>;
