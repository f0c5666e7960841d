import { connectMllp } from '@hsg/hl7-bridge';
import {
  dataOf,
  graphqlRequest,
  type LiveConnection,
  liveConnection,
  retryUnavailable,
  uniqueName,
  waitFor,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { embeddedSystem, type RunningSystem, realSystem } from './systems.ts';

/**
 * An ORU^R01 from a lab: two OBR groups (the second ordered by `orderedBy`), OBX of five value types, one
 * of them a panic value (LL).
 */
const labMessage = (id: string, mrn: string, orderedBy: string) =>
  [
    `MSH|^~\\&|SYNTH-LIS|CITYLAB|HSG|CLINIC|20261201083000+0100||ORU^R01^ORU_R01|${id}|P|2.5.1`,
    `PID|1||${mrn}^^^HSG^MR||Live^Ines||19800203|F`,
    'OBR|1|PLC-1^HSG|FIL-1^LAB|24323-8^Metabolic panel^LN|||20261201071500+0100',
    'OBX|1|NM|2345-7^Glucose^LN||182|mg/dL^mg/dL^UCUM|70-99|H|||F',
    'OBX|2|SN|2160-0^Creatinine^LN||<^0.3|mg/dL^mg/dL^UCUM|0.6-1.3|L|||F',
    'OBX|3|CWE|5778-6^Color of Urine^LN||371244009^Yellow^SCT||||||F',
    `OBR|2|PLC-2^HSG|FIL-2^LAB|2823-3^Potassium^LN|||20261201073000+0100|||||||||${orderedBy}^Doctor^Pavel`,
    'OBX|1|NM|2823-3^Potassium^LN||2.1|mmol/L^mmol/L^UCUM|3.5-5.1|LL|||F',
    'OBX|2|ST|8251-1^Service comment^LN||Haemolysed sample||||||F',
  ].join('\r');
const LAB_RESULTS = `subscription ($p: ID) { labResultReceived(patientId: $p) {
  id status critical code { coding { code } } patient { id } } }`;
const CHANGES = `subscription ($d: ID) { appointmentChanged(doctorId: $d) {
  kind appointment { id status doctor { id } } } }`;
const allWeek = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
  weekday,
  start: '00:00',
  end: '24:00',
}));

/**
 * Live data through the router, both run modes: lab results reach the subscribers that may see them and
 * no others; a doctor's subscriber sees bookings and cancellations, other doctors' see nothing; a critical
 * result makes exactly one notification (the development outbox, on the graph).
 */
describe.each([
  ['embedded', embeddedSystem],
  ['real', realSystem],
])('live data (%s mode)', (_mode, start) => {
  let system: RunningSystem;
  const connections: LiveConnection[] = [];
  const live = (headers: Record<string, string>) => {
    const connection = liveConnection(system.routerUrl, headers);
    connections.push(connection);
    return connection;
  };
  const gql = async (headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, headers);
  const subscribers = async () =>
    ((await (await fetch(new URL('/live', system.routerUrl))).json()) as { subscribers: number }).subscribers;

  beforeAll(async () => {
    system = await start();
  }, 180_000);
  afterAll(async () => {
    for (const connection of connections) await connection.dispose();
    await system?.stop();
  }, 60_000);

  it('delivers lab results and appointment changes to whom they concern, and one notification per critical result', async () => {
    const desk = await system.as('FRONT_DESK');
    const suffix = uniqueName('')
      .slice(-6)
      .replace(/[^a-z0-9]/g, 'x');
    const register = async (given: string) =>
      dataOf<{ id: string; mrn: string }>(
        await gql(
          desk,
          'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id mrn } }',
          {
            input: {
              name: { given: [given], family: `Live${suffix}` },
              birthDate: '1980-02-03',
              gender: 'FEMALE',
              email: `${given.toLowerCase()}.${suffix}@example.invalid`,
            },
          },
        ),
        'registerPatient',
      );
    const doctor = async (given: string) => {
      const licenseNumber = uniqueName('LIC').replaceAll('_', '-');
      const { id } = dataOf<{ id: string }>(
        await gql(desk, 'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }', {
          input: {
            name: { given: [given], family: `Live${suffix}` },
            licenseNumber,
            specialties: ['General practice'],
            timeZone: 'Europe/Berlin',
            workingHours: allWeek,
            consultationFee: { amount: 5000, currency: 'EUR' },
          },
        }),
        'registerDoctor',
      );
      return { id, licenseNumber };
    };
    const [ines, otto] = [await register('Ines'), await register('Otto')];
    const [pavel, petra] = [await doctor('Pavel'), await doctor('Petra')];

    const pavelHeaders = await system.as('CLINICIAN', { doctorId: pavel.id });
    const pavelLive = live(pavelHeaders);
    const petraLive = live(await system.as('CLINICIAN', { doctorId: petra.id }));
    const inesLive = live(await system.as('PATIENT', { patientId: ines.id }));
    const ottoLive = live(await system.as('PATIENT', { patientId: otto.id }));
    const ofPavel = pavelLive.subscribe(CHANGES, { d: pavel.id });
    const ofPetra = petraLive.subscribe(CHANGES, { d: petra.id });
    const inesResults = inesLive.subscribe(LAB_RESULTS, { p: ines.id });
    const ottoPeeking = ottoLive.subscribe(LAB_RESULTS, { p: ines.id });
    const pavelResults = pavelLive.subscribe(LAB_RESULTS, { p: ines.id });
    await waitFor(async () => (await subscribers()) >= 5, 20_000);

    // Booking makes Pavel one of Ines's clinicians (observation and notification hear appointment.booked).
    const appointment = dataOf<{ id: string }>(
      await retryUnavailable(
        () =>
          gql(desk, 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', {
            input: {
              patientId: ines.id,
              doctorId: pavel.id,
              start: new Date(Date.now() + 3 * 86_400_000).toISOString(),
              durationMinutes: 15,
            },
          }),
        { attempts: 150, delayMs: 100 },
      ),
      'bookAppointment',
    );
    await waitFor(async () => ofPavel.results.length === 1, 20_000);
    expect(ofPavel.results[0]?.data).toEqual({
      appointmentChanged: {
        kind: 'BOOKED',
        appointment: { id: appointment.id, status: 'BOOKED', doctor: { id: pavel.id } },
      },
    });

    // The lab sends over MLLP; the bridge answers AA only once the results are stored. (Observation may
    // not know Ines yet when the first try arrives: AR then, and a lab resends.)
    const sender = await connectMllp(system.mllp);
    const message = labMessage(`LIVE-${suffix}`, ines.mrn, pavel.licenseNumber);
    let ack = await sender.send(message);
    for (let attempt = 0; /\|AR\|/.test(ack) && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ack = await sender.send(message);
    }
    expect(ack).toMatch(new RegExp(`^MSA\\|AA\\|LIVE-${suffix}`, 'm'));
    expect(await sender.send(message)).toMatch(/^MSA\|AA\|/m); // a resend: stored once
    await sender.close();
    const stored = dataOf<{ totalCount: number; edges: Array<{ node: { id: string } }> }>(
      await gql(
        pavelHeaders,
        'query ($p: ID!) { observations(patientId: $p, first: 20) { totalCount edges { node { id } } } }',
        {
          p: ines.id,
        },
      ),
      'observations',
    );
    expect(stored.totalCount).toBe(5);
    const ids = stored.edges.map((edge) => edge.node.id);
    await waitFor(async () => inesResults.results.length === 5 && pavelResults.results.length === 5, 20_000);
    const received = (results: typeof inesResults.results) =>
      results.map((result) => (result.data?.labResultReceived as { id: string } | undefined)?.id).sort();
    expect(received(inesResults.results)).toEqual([...ids].sort());
    expect(received(pavelResults.results)).toEqual([...ids].sort());
    expect(inesResults.results[0]?.data?.labResultReceived).toMatchObject({ patient: { id: ines.id } });

    const cancelled = await gql(
      desk,
      'mutation ($id: ID!) { cancelAppointment(id: $id, reason: "moved") { id } }',
      {
        id: appointment.id,
      },
    );
    expect(cancelled.errors).toBeUndefined();
    await waitFor(async () => ofPavel.results.length === 2, 20_000);
    expect(ofPavel.results[1]?.data).toMatchObject({ appointmentChanged: { kind: 'CANCELLED' } });

    // The critical result: exactly one notification, to Pavel (its ordering provider), kept in the outbox.
    const notifications = async () =>
      dataOf<{ edges: Array<{ node: { kind: string; recipient: { kind: string; id: string | null } } }> }>(
        await gql(
          desk,
          'query ($p: ID!) { notifications(patientId: $p) { edges { node { kind recipient { kind id } } } } }',
          {
            p: ines.id,
          },
        ),
        'notifications',
      ).edges.map((edge) => edge.node);
    await waitFor(async () => (await notifications()).length >= 3, 30_000);
    const critical = (await notifications()).filter((n) => n.kind === 'CRITICAL_RESULT');
    expect(critical).toEqual([{ kind: 'CRITICAL_RESULT', recipient: { kind: 'DOCTOR', id: pavel.id } }]);
    expect((await notifications()).map((n) => n.kind).sort()).toEqual([
      'APPOINTMENT_BOOKED',
      'APPOINTMENT_CANCELLED',
      'CRITICAL_RESULT',
    ]);

    // Nothing reached those it does not concern: another doctor's subscriber, another patient peeking.
    expect(ofPetra.results).toEqual([]);
    expect(ottoPeeking.results).toEqual([]);
  }, 180_000);

  it('closes a connection without a valid token with 4401', async () => {
    expect(await live({}).closed).toBe(4401);
    expect(await live({ authorization: 'Bearer a.b.c' }).closed).toBe(4401);
  });
});
