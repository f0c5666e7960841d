import { AppError, createWakeup } from '@hsg/kit';
import { describe, expect, it } from '@jest/globals';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import type { Parties } from '../src/model.ts';
import { assertKnown, awaitParties, type ProjectionLagPolicy } from '../src/projection-lag.ts';
import type { AppointmentStore } from '../src/store.ts';

const now = new Date('2026-03-02T06:00:00Z');
const fields = { patient: 'input.patientId', doctor: 'input.doctorId' };
const patient = { id: uuidv7(), active: true, version: 1 };
const doctor = { id: uuidv7(), active: true, timeZone: 'UTC', workingHours: [], version: 1 };

const policy = (overrides: Partial<ProjectionLagPolicy> = {}): ProjectionLagPolicy => ({
  waitMs: 20,
  graceMs: 5 * 60_000,
  consumerReady: () => true,
  signal: createWakeup(),
  ...overrides,
});

/** The AppError assertKnown throws, for asserting on its code and details. */
function refusal(parties: Parties, ids: { patientId: string; doctorId: string }, lag: ProjectionLagPolicy) {
  try {
    assertKnown(parties, ids, fields, lag, now);
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, retriable: error.retriable, ...error.details };
    throw error;
  }
  return undefined;
}

/** A store whose projections hold what `projected` holds at the moment of the call. */
function storeOf(projected: Parties): AppointmentStore {
  return {
    findParties: async () => ({ ...projected }),
  } as Partial<AppointmentStore> as AppointmentStore;
}

describe('a party missing from the projections', () => {
  const minted = (agoMs: number) => uuidv7({ msecs: now.getTime() - agoMs });

  it('is not yet known (UNAVAILABLE, retriable) when its UUIDv7 is recent', () => {
    const ids = { patientId: minted(60_000), doctorId: doctor.id };
    expect(refusal({ patient: undefined, doctor }, ids, policy())).toEqual({
      code: 'UNAVAILABLE',
      retriable: true,
      rule: 'PATIENT_NOT_YET_KNOWN',
      field: 'input.patientId',
    });
  });

  it('is unknown (BAD_USER_INPUT) when its UUIDv7 is older than the grace, or it is no UUIDv7', () => {
    for (const patientId of [minted(10 * 60_000), uuidv4()]) {
      expect(
        refusal({ patient: undefined, doctor }, { patientId, doctorId: doctor.id }, policy()),
      ).toMatchObject({
        code: 'BAD_USER_INPUT',
        rule: 'PATIENT_UNKNOWN',
      });
    }
    const ids = { patientId: patient.id, doctorId: minted(24 * 3600_000) };
    expect(refusal({ patient, doctor: undefined }, ids, policy())).toMatchObject({
      code: 'BAD_USER_INPUT',
      rule: 'DOCTOR_UNKNOWN',
      field: 'input.doctorId',
    });
  });

  it('is not yet known, whatever its age, while the projection consumer is not ready', () => {
    const ids = { patientId: patient.id, doctorId: minted(24 * 3600_000) };
    expect(
      refusal({ patient, doctor: undefined }, ids, policy({ consumerReady: () => false })),
    ).toMatchObject({
      code: 'UNAVAILABLE',
      rule: 'DOCTOR_NOT_YET_KNOWN',
    });
  });

  it('is no refusal once both parties are there', () => {
    expect(
      refusal({ patient, doctor }, { patientId: patient.id, doctorId: doctor.id }, policy()),
    ).toBeUndefined();
  });
});

describe('waiting for the projections', () => {
  const ids = { patientId: patient.id, doctorId: doctor.id };

  it('returns the parties as soon as a projection commit brings the missing one', async () => {
    const projected: Parties = { patient: undefined, doctor };
    const lag = policy({ waitMs: 60_000 });
    const waiting = awaitParties(storeOf(projected), ids, lag);
    await new Promise((resolve) => setImmediate(resolve));
    projected.patient = patient;
    lag.signal.wake();
    expect(await waiting).toEqual({ patient, doctor });
  });

  it('gives up after the wait and returns what is there', async () => {
    expect(await awaitParties(storeOf({ patient: undefined, doctor }), ids, policy())).toEqual({
      patient: undefined,
      doctor,
    });
  });

  it('does not wait when both are there', async () => {
    expect(await awaitParties(storeOf({ patient, doctor }), ids, policy({ waitMs: 60_000 }))).toEqual({
      patient,
      doctor,
    });
  });
});
