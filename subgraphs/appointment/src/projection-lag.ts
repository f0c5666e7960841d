import { AppError } from '@hsg/kit';
import type { Parties } from './model.ts';
import { ruleViolation } from './rules.ts';
import type { AppointmentStore } from './store.ts';

/**
 * A booking can arrive before the patient's or doctor's registration event reached our projection (the
 * front desk registers, then books at once). So an absent party is first waited for, briefly; if still
 * absent, an ID this system minted recently (UUIDv7 carries its creation time) or a projection consumer
 * that is not running yet means "not known here yet": a retriable UNAVAILABLE, never a permanent
 * "unknown patient". Only an old ID with a running consumer is really unknown.
 */

/** Wakes waiters when a projection commits (fed by LISTEN on the projections' channel). */
export interface ProjectionSignal {
  /** Increases on every projection commit. */
  generation(): number;
  /** Resolves once the generation moved past `seen`, or after ms. */
  wait(seen: number, ms: number): Promise<void>;
  notify(): void;
}

export function createProjectionSignal(): ProjectionSignal {
  let generation = 0;
  const waiters = new Set<() => void>();
  return {
    generation: () => generation,
    wait(seen, ms) {
      if (generation !== seen) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
    notify() {
      generation += 1;
      for (const done of [...waiters]) done();
    },
  };
}

export interface ProjectionLagPolicy {
  /** How long a booking waits for an absent party to appear. */
  waitMs: number;
  /** How recent a UUIDv7 must be to count as "minted, its event still on its way". */
  graceMs: number;
  /** Whether the projection consumer runs (when not, absence proves nothing). */
  consumerReady(): boolean;
  signal: ProjectionSignal;
}

/** Re-checks at least this often even without a notification (one could be lost on a reconnect). */
const RECHECK_MS = 250;

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The creation time (ms since epoch) of a UUIDv7, undefined for any other string. */
export function uuidV7Time(id: string): number | undefined {
  if (!uuidV7.test(id)) return undefined;
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

/** Reads the parties, waiting up to policy.waitMs (real time) for absent ones to be projected. */
export async function awaitParties(
  store: AppointmentStore,
  ids: { patientId: string; doctorId: string },
  policy: ProjectionLagPolicy,
): Promise<Parties> {
  const deadline = Date.now() + policy.waitMs;
  for (;;) {
    const seen = policy.signal.generation();
    const parties = await store.findParties(ids.patientId, ids.doctorId);
    const remaining = deadline - Date.now();
    if ((parties.patient && parties.doctor) || remaining <= 0) return parties;
    await policy.signal.wait(seen, Math.min(remaining, RECHECK_MS));
  }
}

/** Throws for a party still absent after the wait: UNAVAILABLE while it may yet appear, else *_UNKNOWN. */
export function assertKnown(
  parties: Parties,
  ids: { patientId: string; doctorId: string },
  fields: { patient: string; doctor: string },
  policy: ProjectionLagPolicy,
  now: Date,
): void {
  const missing = [
    { kind: 'patient', id: ids.patientId, present: parties.patient, field: fields.patient },
    { kind: 'doctor', id: ids.doctorId, present: parties.doctor, field: fields.doctor },
  ].find((party) => !party.present);
  if (!missing) return;
  const rule = missing.kind === 'patient' ? 'PATIENT' : 'DOCTOR';
  const minted = uuidV7Time(missing.id);
  const recent = minted !== undefined && Math.abs(now.getTime() - minted) <= policy.graceMs;
  if (recent || !policy.consumerReady()) {
    throw new AppError(
      'UNAVAILABLE',
      `${missing.kind} ${missing.id} is not yet known here (its registration may still be on its way); retry shortly`,
      { details: { rule: `${rule}_NOT_YET_KNOWN`, field: missing.field } },
    );
  }
  throw ruleViolation(
    rule === 'PATIENT' ? 'PATIENT_UNKNOWN' : 'DOCTOR_UNKNOWN',
    `no ${missing.kind} ${missing.id} (rule ${rule}_UNKNOWN)`,
    missing.field,
  );
}
