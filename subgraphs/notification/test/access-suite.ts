import { type AuditRecorded, auditTopic } from '@hsg/contracts';
import type { Role } from '@hsg/kit/auth';
import type { CloudEvent } from '@hsg/kit/events';
import {
  createTestKeys,
  type EventBackend,
  errorCode,
  type GraphQLResponse,
  type TokenRequest,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { type Harness, startHarness } from './harness.ts';

type Parties = Awaited<ReturnType<Harness['parties']>>;

const denied = 'FORBIDDEN';

/**
 * The callers, written out (not derived from the policies). Patient one has a booking with doctor one;
 * patient two a booking with doctor two and a critical result ordered by doctor one. What each caller
 * lists of each patient: the kinds it sees, or FORBIDDEN.
 */
type Caller =
  | 'ADMIN'
  | 'FRONT_DESK'
  | 'BILLING'
  | 'INTEGRATION'
  | 'PATIENT (one)'
  | 'CLINICIAN (doctor one)'
  | 'CLINICIAN (doctor two)'
  | 'CLINICIAN (a stranger)';
type Seen = string[] | typeof denied;
const expected: Record<Caller, [Seen, Seen]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: [['APPOINTMENT_BOOKED'], ['CRITICAL_RESULT', 'APPOINTMENT_BOOKED']],
  BILLING: [denied, denied],
  INTEGRATION: [denied, denied],
  'PATIENT (one)': [['APPOINTMENT_BOOKED'], denied],
  // Doctor one never saw patient two, but the critical result is addressed to them: that one only.
  'CLINICIAN (doctor one)': [['APPOINTMENT_BOOKED'], ['CRITICAL_RESULT']],
  'CLINICIAN (doctor two)': [denied, ['CRITICAL_RESULT', 'APPOINTMENT_BOOKED']],
  'CLINICIAN (a stranger)': [denied, denied],
};
const callers = Object.keys(expected) as Caller[];

const kindsOf = (
  response: GraphQLResponse,
  path: (data: Record<string, unknown>) => unknown,
): Seen | string => {
  if (response.errors) return errorCode(response) ?? 'error';
  const connection = path(response.data as Record<string, unknown>) as {
    edges: Array<{ node: { kind: string } }>;
  };
  return connection.edges.map((edge) => edge.node.kind);
};

/** Who may see which notifications, through the root field, Patient.notifications and entities; the audit trail. */
export function describeNotificationAccess(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  let one: Parties;
  let two: Parties;
  let stranger: string;
  const ids = { booked: ['', ''], critical: '' };
  const tokenOf = (caller: Caller): TokenRequest & { userId: string } => {
    const userId = uuidv7();
    switch (caller) {
      case 'PATIENT (one)':
        return { role: 'PATIENT', patientId: one.patientId, userId };
      case 'CLINICIAN (doctor one)':
        return { role: 'CLINICIAN', doctorId: one.doctorId, userId };
      case 'CLINICIAN (doctor two)':
        return { role: 'CLINICIAN', doctorId: two.doctorId, userId };
      case 'CLINICIAN (a stranger)':
        return { role: 'CLINICIAN', doctorId: stranger, userId };
      default:
        return { role: caller as Role, userId };
    }
  };
  const listQuery =
    'query ($p: ID!) { notifications(patientId: $p) { totalCount edges { node { kind subject body recipient { kind id } } } } }';

  beforeAll(async () => {
    h = await startHarness(backend);
    one = await h.parties();
    two = await h.parties();
    stranger = (await h.parties()).doctorId;
    ids.booked[0] = (await h.notificationOf((await h.feed.book(h.feed.newId(), one)).id)).id;
    ids.booked[1] = (await h.notificationOf((await h.feed.book(h.feed.newId(), two)).id)).id;
    const ordered = await h.feed.record(h.feed.newId(), two.patientId, {
      source: {
        sendingFacility: 'TEST-LAB',
        messageId: uuidv4(),
        placerOrder: null,
        fillerOrder: null,
        orderingProvider: { identifier: one.licenseNumber, name: null },
      },
    });
    const critical = await h.notificationOf(ordered.id);
    expect(critical).toMatchObject({ recipient_kind: 'DOCTOR', recipient_id: one.doctorId });
    ids.critical = critical.id;
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  describe(`notification access rules on ${backend.name}`, () => {
    it.each(callers)('%s: notifications(patientId), Patient.notifications and entities', async (caller) => {
      const who = tokenOf(caller);
      const [ofOne, ofTwo] = expected[caller];
      for (const [parties, seen] of [
        [one, ofOne],
        [two, ofTwo],
      ] as const) {
        const listed = await h.as(who, listQuery, { p: parties.patientId });
        expect(kindsOf(listed, (data) => data.notifications)).toEqual(seen);
        if (seen !== denied)
          expect((listed.data?.notifications as { totalCount?: number } | undefined)?.totalCount).toBe(
            seen.length,
          );
        const ofPatient = await h.as(
          who,
          `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { notifications { edges { node { kind } } } } } }`,
          { r: [{ __typename: 'Patient', id: parties.patientId }] },
        );
        expect(
          kindsOf(
            ofPatient,
            (data) => (data._entities as Array<{ notifications: unknown }>)[0]?.notifications,
          ),
        ).toEqual(seen);
      }
      // Each notification by reference: allowed exactly when the caller's list holds it.
      const entities = await h.as(
        who,
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { id kind } } }`,
        { r: [ids.booked[0], ids.booked[1], ids.critical].map((id) => ({ __typename: 'Notification', id })) },
      );
      const seenIds = (entities.data?._entities as Array<{ id: string } | null> | undefined) ?? [];
      const visible = (seen: Seen, kind: string) => seen !== denied && seen.includes(kind);
      expect(seenIds.map((entity) => (entity ? 'allowed' : denied))).toEqual([
        visible(ofOne, 'APPOINTMENT_BOOKED') ? 'allowed' : denied,
        visible(ofTwo, 'APPOINTMENT_BOOKED') ? 'allowed' : denied,
        visible(ofTwo, 'CRITICAL_RESULT') ? 'allowed' : denied,
      ]);
    });

    it('answers UNAUTHENTICATED without a token or with a token it cannot verify', async () => {
      const other = await createTestKeys();
      for (const headers of [
        { authorization: '' },
        await other.headersFor({ role: 'FRONT_DESK' }),
        await h.keys.headersFor({ role: 'FRONT_DESK', expiresIn: -60 }),
      ]) {
        const response = await h.gql(listQuery, { p: one.patientId }, headers);
        expect(errorCode(response)).toBe('UNAUTHENTICATED');
        expect(response.data?.notifications ?? null).toBeNull();
      }
    });

    it('records reads and refusals of notifications with their patient (ADR 0017)', async () => {
      const auditRows = async (userId: string) =>
        (
          await h.db
            .selectFrom('kit_outbox')
            .select(['payload'])
            .where('topic', '=', auditTopic)
            .orderBy('seq')
            .execute()
        ).flatMap((row) =>
          (JSON.parse(row.payload) as CloudEvent<AuditRecorded>).data.requests.filter(
            (request) => request.userId === userId,
          ),
        );
      const patient = tokenOf('PATIENT (one)');
      await h.as(
        patient,
        'query Mine($p: ID!) { notifications(patientId: $p) { edges { node { kind subject } } } }',
        {
          p: one.patientId,
        },
      );
      await h.as(patient, 'query Theirs($p: ID!) { notifications(patientId: $p) { totalCount } }', {
        p: two.patientId,
      });
      const records = (await auditRows(patient.userId)).map((request) => [
        request.operationName,
        request.records,
      ]);
      expect(records).toEqual([
        [
          'Mine',
          [
            {
              patientId: one.patientId,
              outcome: 'ALLOWED',
              fields: ['Notification.kind', 'Notification.subject'],
              rootFields: ['notifications'],
            },
          ],
        ],
        [
          'Theirs',
          [
            expect.objectContaining({
              patientId: two.patientId,
              outcome: 'DENIED',
              rootFields: ['notifications'],
            }),
          ],
        ],
      ]);
    }, 60_000);
  });
}
