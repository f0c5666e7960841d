/**
 * The system's parts, once. The embedded launcher, the real launcher, the e2e systems, the benchmarks and
 * `npm run compose` (which writes supergraph.yaml) read this; a test checks it against supergraph.yaml
 * and docker-compose.yml. Adding a subgraph: its own folder, an entry here, and its compose service.
 */
import type { AnalyticsSubgraph } from '@hsg/analytics';
import type { AppointmentSubgraph } from '@hsg/appointment';
import type { BillingSubgraph } from '@hsg/billing';
import type { DoctorSubgraph } from '@hsg/doctor';
import type { IdentitySubgraph } from '@hsg/identity';
import type { AnySubgraph } from '@hsg/kit/runtime';
import type { NotificationSubgraph } from '@hsg/notification';
import type { ObservationSubgraph } from '@hsg/observation';
import type { PatientSubgraph } from '@hsg/patient';

export type PartKind = 'subgraph' | 'router' | 'worker' | 'bridge';
export type StoreKind = 'postgres' | 'mysql' | 'mongo';

/** A store a part owns: a Postgres schema, or a MySQL/Mongo database, named `namespace`. */
export interface PartStore {
  kind: StoreKind;
  namespace: string;
}

export interface Part {
  name: string;
  kind: PartKind;
  /** Its default port (the README's, compose's); every run mode may move it. */
  port: number;
  stores: PartStore[];
  /** The script real mode runs as this part's own process (relative to the repository root). */
  main: string;
}

export interface SubgraphPart<Definition extends AnySubgraph = AnySubgraph> extends Part {
  kind: 'subgraph';
  /** Its SDL, as composed into the supergraph. */
  schemaFile: string;
  /** The subgraph's definition (loaded on demand: real mode's launcher never needs the code). */
  load(): Promise<Definition>;
}

function subgraph<Definition extends AnySubgraph>(
  name: string,
  port: number,
  store: StoreKind,
  load: () => Promise<Definition>,
): SubgraphPart<Definition> {
  return {
    name,
    kind: 'subgraph',
    port,
    stores: [{ kind: store, namespace: name }],
    main: `subgraphs/${name}/src/index.ts`,
    schemaFile: `subgraphs/${name}/src/schema.graphql`,
    load,
  };
}

/**
 * The subgraphs, in start order (a part's events' consumers after it is fine either way). Identity first:
 * every other part verifies access tokens against its JWKS.
 */
export const subgraphs: {
  identity: SubgraphPart<IdentitySubgraph>;
  patient: SubgraphPart<PatientSubgraph>;
  doctor: SubgraphPart<DoctorSubgraph>;
  appointment: SubgraphPart<AppointmentSubgraph>;
  billing: SubgraphPart<BillingSubgraph>;
  observation: SubgraphPart<ObservationSubgraph>;
  analytics: SubgraphPart<AnalyticsSubgraph>;
  notification: SubgraphPart<NotificationSubgraph>;
} = {
  identity: subgraph(
    'identity',
    4104,
    'postgres',
    async () => (await import('@hsg/identity')).identitySubgraph,
  ),
  patient: subgraph('patient', 4101, 'postgres', async () => (await import('@hsg/patient')).patientSubgraph),
  doctor: subgraph('doctor', 4102, 'mysql', async () => (await import('@hsg/doctor')).doctorSubgraph),
  appointment: subgraph(
    'appointment',
    4103,
    'postgres',
    async () => (await import('@hsg/appointment')).appointmentSubgraph,
  ),
  billing: subgraph('billing', 4105, 'postgres', async () => (await import('@hsg/billing')).billingSubgraph),
  observation: subgraph(
    'observation',
    4106,
    'postgres',
    async () => (await import('@hsg/observation')).observationSubgraph,
  ),
  // Embedded mode keeps its read model in memory, refilled from the embedded log (ADR 0021).
  analytics: subgraph(
    'analytics',
    4107,
    'mongo',
    async () => (await import('@hsg/analytics')).analyticsSubgraph,
  ),
  notification: subgraph(
    'notification',
    4108,
    'postgres',
    async () => (await import('@hsg/notification')).notificationSubgraph,
  ),
};

export type SubgraphName = keyof typeof subgraphs;
export type SubgraphDefinitionOf<Name extends SubgraphName> = Awaited<
  ReturnType<(typeof subgraphs)[Name]['load']>
>;

export const router: Part = {
  name: 'router',
  kind: 'router',
  port: 4000,
  stores: [],
  main: 'router/src/index.ts',
};

/** The HL7 v2 bridge: MLLP (its own port, below) and POST /hl7 on its HTTP port; no store of its own. */
export const hl7Bridge: Part = {
  name: 'hl7-bridge',
  kind: 'bridge',
  port: 4109,
  stores: [],
  main: 'hl7-bridge/src/index.ts',
};

/** Listeners that are not a part's HTTP port, by name: the bridge's MLLP port and its variable. */
export const listeners = [{ name: 'hl7-mllp', variable: 'HL7_MLLP_PORT', port: 2575 }] as const;

/** Every part, subgraphs first, then the router, then the bridge (which records through the router). */
export const parts: Part[] = [...Object.values(subgraphs), router, hl7Bridge];

export const subgraphParts = (): SubgraphPart[] => Object.values(subgraphs);

/** The environment variable that moves a part's port in embedded mode (PORT is the router's). */
export const portVariable = (part: Part): string =>
  part.kind === 'router' ? 'PORT' : `${part.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`;

/** The router's per-subgraph URL override (see router/src/env.ts). */
export const subgraphUrlVariable = (part: Part): string =>
  `SUBGRAPH_URL_${part.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** A port per part name; a part left out keeps its default. */
export type PartPorts = Partial<Record<SubgraphName | 'router' | 'hl7-bridge' | 'hl7-mllp', number>>;

/** Port 0 for every part: each binds whatever port is free (in-process runs, which learn their URLs). */
export const anyPorts = (): PartPorts =>
  Object.fromEntries([...parts, ...listeners].map((part) => [part.name, 0]));
