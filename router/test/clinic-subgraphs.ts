// Test support: stand-ins for the three real subgraphs, serving their real schema.graphql with a few rows in
// memory, so a router on the committed supergraph (schema/supergraph.graphql) plans and shapes answers
// exactly as it does in production, without a store or an event log.
import { readFile } from 'node:fs/promises';
import { serveSubgraph, type TestSubgraph } from './test-subgraphs.ts';

export const clinic = {
  patients: [
    { id: 'p1', mrn: 'MRN-1', given: ['Ada'], family: 'Example' },
    { id: 'p2', mrn: 'MRN-2', given: ['Bruno'], family: 'Example' },
  ],
  doctors: [
    { id: 'd1', given: ['Hana'], family: 'Tanaka' },
    { id: 'd2', given: ['Omar'], family: 'Haddad' },
  ],
  appointments: [
    { id: 'a1', patientId: 'p1', doctorId: 'd1', start: '2030-01-07T08:00:00.000Z' },
    { id: 'a2', patientId: 'p2', doctorId: 'd1', start: '2030-01-07T08:30:00.000Z' },
    { id: 'a3', patientId: 'p1', doctorId: 'd2', start: '2030-01-07T09:00:00.000Z' },
  ],
  observations: [
    { id: 'o1', patientId: 'p1', status: 'FINAL', critical: true },
    { id: 'o2', patientId: 'p2', status: 'FINAL', critical: false },
  ],
};

type Row = { id: string };

const name = ({ given, family }: { given: string[]; family: string }) => ({
  given,
  family,
  text: [...given, family].join(' '),
});

/** A Relay connection over every row (the stand-ins do not page). */
const connection = <T extends Row>(rows: T[]) => ({
  edges: rows.map((node) => ({ cursor: node.id, node })),
  pageInfo: {
    hasNextPage: false,
    hasPreviousPage: false,
    startCursor: rows[0]?.id ?? null,
    endCursor: rows.at(-1)?.id ?? null,
  },
  totalCount: rows.length,
});

const byId = <T extends Row>(rows: T[]) => {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ({ id }: Row) => map.get(id) ?? null;
};

const patientOf = byId(clinic.patients.map((row) => ({ ...row, name: name(row) })));
const doctorOf = byId(clinic.doctors.map((row) => ({ ...row, name: name(row) })));
const appointmentOf = byId(clinic.appointments);
const observationOf = byId(clinic.observations);

const resolvers = {
  // The other subgraphs are part of the graph too; nothing here asks them anything, but /ready probes them.
  identity: {},
  billing: {},
  observation: {
    Query: { observation: (_: unknown, args: Row) => observationOf(args) },
    Observation: {
      __resolveReference: observationOf,
      patient: ({ patientId }: { patientId: string }) => ({ __typename: 'Patient', id: patientId }),
    },
  },
  analytics: {},
  notification: {},
  patient: {
    Query: {
      patient: (_: unknown, args: Row) => patientOf(args),
      patients: () => connection(clinic.patients.map(patientOf).filter((row) => row !== null)),
    },
    Patient: { __resolveReference: patientOf },
  },
  doctor: {
    Query: {
      doctor: (_: unknown, args: Row) => doctorOf(args),
      doctors: () => connection(clinic.doctors.map(doctorOf).filter((row) => row !== null)),
    },
    Doctor: { __resolveReference: doctorOf },
  },
  appointment: {
    Query: {
      appointment: (_: unknown, args: Row) => appointmentOf(args),
      appointments: () => connection(clinic.appointments),
    },
    Appointment: {
      __resolveReference: appointmentOf,
      patient: ({ patientId }: { patientId: string }) => ({ __typename: 'Patient', id: patientId }),
      doctor: ({ doctorId }: { doctorId: string }) => ({ __typename: 'Doctor', id: doctorId }),
    },
    Patient: {
      appointments: ({ id }: Row) => connection(clinic.appointments.filter((a) => a.patientId === id)),
    },
    Doctor: {
      appointments: ({ id }: Row) => connection(clinic.appointments.filter((a) => a.doctorId === id)),
    },
  },
};

export type ClinicSubgraphs = Record<keyof typeof resolvers, TestSubgraph>;

/** Every subgraph of the supergraph, each on a free port with its own schema.graphql. */
export async function startClinicSubgraphs(): Promise<ClinicSubgraphs> {
  const serve = async (subgraph: keyof typeof resolvers) => {
    const sdl = await readFile(
      new URL(`../../subgraphs/${subgraph}/src/schema.graphql`, import.meta.url),
      'utf8',
    );
    return serveSubgraph(subgraph, sdl, resolvers[subgraph]);
  };
  const names = Object.keys(resolvers) as Array<keyof typeof resolvers>;
  const served = await Promise.all(names.map(serve));
  return Object.fromEntries(names.map((name, index) => [name, served[index]])) as ClinicSubgraphs;
}
