import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '@hsg/kit';
import { createEmbeddedLog, type EventTransport, eventLogMigrations } from '@hsg/kit/events';
import { EmbeddedPostgres, runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { type PatientService, startPatientService } from '@hsg/patient';
import { createRouter } from '@hsg/router';
import { loadSupergraphSdl } from '@hsg/schema';
import { loadDemoPatients } from './demo-data.ts';
import { repoRoot } from './processes.ts';

export const defaultDataDir = join(repoRoot, '.data', 'embedded');

export interface EmbeddedOptions {
  /** Where PGlite keeps its files; undefined keeps everything in memory (tests). */
  dataDir?: string | undefined;
  routerPort?: number;
  patientPort?: number;
  demoData?: boolean;
  logger?: Logger;
}

export interface EmbeddedSystem {
  routerUrl: string;
  patientUrl: string;
  /** The embedded event log, for tools and tests that want to read the topics. */
  transport: EventTransport;
  patient: PatientService;
  stop(): Promise<void>;
}

/**
 * Embedded mode: the router and every subgraph in this one process, each on its own port with its own
 * schema in one PGlite, and the embedded event log in place of Kafka. Services do not know the difference.
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedSystem> {
  const logger =
    options.logger ?? createLogger({ service: 'embedded', level: process.env.LOG_LEVEL ?? 'info' });
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const postgres = await EmbeddedPostgres.open(
    options.dataDir ? { dataDir: join(options.dataDir, 'pglite') } : {},
  );
  const databases: SqlDatabase[] = [];
  const schema = async (name: string) => {
    const database = await postgres.database(name);
    databases.push(database);
    return database;
  };

  const eventLog = await schema('event_log');
  await runMigrations(eventLog, [eventLogMigrations]);
  const transport = createEmbeddedLog({
    database: eventLog,
    logger: logger.child({ component: 'event-log' }),
  });

  const patient = await startPatientService({
    database: await schema('patient'),
    transport,
    logger: logger.child({ service: 'patient' }),
    port: options.patientPort ?? 4101,
  });
  if (options.demoData ?? true) {
    const loaded = await loadDemoPatients(patient);
    if (loaded > 0) logger.info({ patients: loaded }, 'demo data loaded');
  }

  const router = createRouter({
    supergraphSdl: await loadSupergraphSdl(),
    logger: logger.child({ service: 'router' }),
    subgraphUrls: { patient: patient.url },
  });
  const routerPort = await router.start(options.routerPort ?? 4000);

  return {
    routerUrl: `http://127.0.0.1:${routerPort}/graphql`,
    patientUrl: patient.url,
    transport,
    patient,
    async stop() {
      await router.stop();
      await patient.stop();
      await transport.close();
      for (const database of databases) await database.close();
      await postgres.close();
    },
  };
}

if (import.meta.main) {
  const started = performance.now();
  const system = await startEmbedded({
    dataDir: process.env.DATA_DIR ?? defaultDataDir,
    routerPort: Number(process.env.PORT ?? 4000),
    patientPort: Number(process.env.PATIENT_PORT ?? 4101),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\nThe healthcare supergraph is ready in ${seconds} s (embedded mode: one process, data in .data/embedded).\n` +
      `  GraphQL + Apollo Sandbox: ${system.routerUrl}\n` +
      `  patient subgraph:         ${system.patientUrl}\n` +
      '  Stop with Ctrl+C; `npm run reset` clears the data.\n\n',
  );
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void system.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
