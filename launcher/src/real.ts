import { infraEnv } from '@hsg/infra';
import { type ManagedProcess, runProcess, waitForHttp } from './processes.ts';

export interface RealModeOptions {
  routerPort?: number;
  patientPort?: number;
  /** Postgres schema prefix, so a test's run does not share tables with another's. */
  schemaPrefix?: string;
  quiet?: boolean;
}

/**
 * Real mode: every part its own process, on the Postgres and Kafka of `npm run infra -- up` (or the
 * DATABASE_URL / KAFKA_BROKERS in the environment).
 */
export async function startRealMode({
  routerPort = 4000,
  patientPort = 4101,
  schemaPrefix = '',
  quiet = false,
}: RealModeOptions = {}) {
  const infra = infraEnv();
  const started: ManagedProcess[] = [];
  const stop = async () => {
    for (const part of started.reverse()) await part.stop();
  };
  try {
    const patient = runProcess(
      'patient',
      'subgraphs/patient/src/index.ts',
      {
        PORT: String(patientPort),
        DATABASE_URL: infra.DATABASE_URL,
        DATABASE_SCHEMA: `${schemaPrefix}patient`,
        KAFKA_BROKERS: infra.KAFKA_BROKERS,
      },
      quiet,
    );
    started.push(patient);
    await waitForHttp(`http://127.0.0.1:${patientPort}/ready`, patient);
    const router = runProcess(
      'router',
      'router/src/index.ts',
      { PORT: String(routerPort), SUBGRAPH_URL_PATIENT: `http://127.0.0.1:${patientPort}/graphql` },
      quiet,
    );
    started.push(router);
    await waitForHttp(`http://127.0.0.1:${routerPort}/ready`, router);
  } catch (error) {
    await stop();
    throw error;
  }
  return { routerUrl: `http://127.0.0.1:${routerPort}/graphql`, stop };
}

if (import.meta.main) {
  const system = await startRealMode();
  process.stdout.write(`\nThe healthcare supergraph (real mode) is ready: ${system.routerUrl}\n`);
  const shutdown = () => void system.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
