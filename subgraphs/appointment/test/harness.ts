import { silentLogger } from '@hsg/kit';
import type { EventTransport } from '@hsg/kit/events';
import { type RunningSubgraph, startSubgraph } from '@hsg/kit/runtime';
import type { SqlDatabase } from '@hsg/kit/sql';
import {
  type EventBackend,
  type GraphQLResponse,
  graphqlRequest,
  sharedTestKeys,
  sqlProbes,
  type TestKeys,
  waitFor,
} from '@hsg/testing';
import { countingStore } from '@hsg/testing/contracts';
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { type AppointmentSubgraph, appointmentSubgraph } from '../src/subgraph.ts';
import type { Tables } from '../src/tables.ts';
import { createFeed, type Feed } from './feed.ts';

/** Monday 2026-03-02, 07:00 in Berlin: "now" for the API suite unless a test moves it. */
export const START = new Date('2026-03-02T06:00:00Z');

/** A wall-clock time in Berlin as the DateTime scalar writes it. */
export const berlin = (date: string, time: string): string =>
  DateTime.fromISO(`${date}T${time}`, { zone: 'Europe/Berlin' }).toUTC().toJSDate().toISOString();

export const APPOINTMENT_FIELDS =
  'id start end durationMinutes status reason cancellationReason version patient { id } doctor { id }';

export interface Appointment {
  id: string;
  start: string;
  end: string;
  status: string;
  version: number;
  cancellationReason: string | null;
}

/** The running service on one backend, its fake clock, the event feed, and store-call counters. */
export interface Harness {
  service: RunningSubgraph<AppointmentSubgraph>;
  transport: EventTransport;
  database: SqlDatabase;
  feed: Feed;
  calls: Map<string, number>;
  /** The keys the service trusts: `keys.headersFor({ role, … })` is a caller's Authorization header. */
  keys: TestKeys;
  setNow(date: Date): void;
  /** Sends as a front desk unless `headers` say otherwise (their `authorization` replaces its token). */
  gql(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse>;
  book(input: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
  /** Books and returns the appointment, failing the test with the errors otherwise. */
  booked(input: Record<string, unknown>): Promise<Appointment>;
  /** Waits until the projection holds this version of the patient or doctor. */
  projected(party: 'patient' | 'doctor', id: string, version?: number): Promise<void>;
  /** Waits until the projections consumer has applied the event with this id. */
  applied(eventId: string): Promise<void>;
  /** A new patient and doctor, both projected. */
  parties(doctor?: Parameters<Feed['registerDoctor']>[1]): Promise<{ patientId: string; doctorId: string }>;
  stop(): Promise<void>;
}

export async function startHarness(backend: EventBackend): Promise<Harness> {
  let now = START;
  const clock = () => now;
  const calls = new Map<string, number>();
  const database = await backend.sql.open(backend.sql.newNamespace());
  const transport = await backend.transport();
  const keys = await sharedTestKeys();
  // An hour, so a slow run of the suite does not outlive its token.
  const frontDesk = await keys.headersFor({ role: 'FRONT_DESK', expiresIn: 3600 });
  // The projections' group is named after the schema (see projectionGroupFor): this suite's own.
  const service = await startSubgraph(appointmentSubgraph, {
    auth: { jwks: keys.jwks },
    database,
    transport,
    logger: silentLogger(),
    port: 0,
    clock,
    settings: {
      PROJECTION_WAIT_MS: 2000,
      NO_SHOW_INTERVAL_MS: 3_600_000, // tests run the job themselves
      NO_SHOW_GRACE_MINUTES: 15,
    },
    instrumentStore: (store) => countingStore(store, calls),
  });
  const feed = createFeed(transport, clock);
  const db = database.db as Kysely<Tables & { kit_processed_events: { event_id: string } }>;
  const gql: Harness['gql'] = (query, variables, headers) =>
    graphqlRequest(service.url, query, variables, { ...frontDesk, ...headers });
  const book: Harness['book'] = (input, headers) =>
    gql(
      `mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { ${APPOINTMENT_FIELDS} } }`,
      { input },
      headers,
    );

  const probes = sqlProbes(db);
  const harness: Harness = {
    service,
    transport,
    database,
    feed,
    calls,
    keys,
    setNow: (date) => {
      now = date;
    },
    gql,
    book,
    async booked(input) {
      const response = await book(input);
      const appointment = response.data?.bookAppointment as Appointment | undefined;
      if (!appointment) throw new Error(`booking failed: ${JSON.stringify(response.errors)}`);
      return appointment;
    },
    async projected(party, id, version = 1) {
      const table = party === 'patient' ? 'patient_projection' : 'doctor_projection';
      await waitFor(async () => {
        const row = await db.selectFrom(table).select('version').where('id', '=', id).executeTakeFirst();
        return row?.version === version;
      }, 60_000);
    },
    applied: probes.applied,
    async parties(doctor = {}) {
      const patientId = feed.newId();
      const doctorId = feed.newId();
      await feed.registerPatient(patientId);
      await feed.registerDoctor(doctorId, doctor);
      await harness.projected('patient', patientId);
      await harness.projected('doctor', doctorId);
      return { patientId, doctorId };
    },
    stop: () => service.stop(),
  };

  await waitFor(() => service.workers.projections.state() === 'ready', 60_000);
  // On a shared broker the projections first replay the topics' history: wait until they caught up.
  const sentinels = Array.from({ length: 12 }, () => feed.newId());
  for (const id of sentinels) {
    await feed.registerPatient(id);
    await feed.registerDoctor(id);
  }
  for (const id of sentinels) {
    await harness.projected('patient', id);
    await harness.projected('doctor', id);
  }
  return harness;
}
