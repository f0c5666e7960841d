import { infraEnv } from '@hsg/infra';
import { createLogger, envFields, onShutdown, parseEnv } from '@hsg/kit';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { z } from 'zod';
import { type ManagedProcess, runProcess, waitForHttp } from './processes.ts';

export interface RealModeOptions {
  routerPort?: number;
  patientPort?: number;
  doctorPort?: number;
  appointmentPort?: number;
  /** Prefix of the Postgres schemas, MariaDB database and consumer groups, so a test's run does not share tables with another's. */
  schemaPrefix?: string;
  quiet?: boolean;
}

/**
 * Real mode: every part its own process, on the Postgres, MariaDB and Kafka of `npm run infra -- up` (or the
 * DATABASE_URL / MYSQL_URL / KAFKA_BROKERS in the environment).
 */
export async function startRealMode({
  routerPort = 4000,
  patientPort = 4101,
  doctorPort = 4102,
  appointmentPort = 4103,
  schemaPrefix = '',
  quiet = false,
}: RealModeOptions = {}) {
  const infra = infraEnv();
  const started: ManagedProcess[] = [];
  const stop = async () => {
    for (const part of started.reverse()) await part.stop();
  };
  try {
    const subgraph = async (name: string, port: number, env: Record<string, string>) => {
      const part = runProcess(
        name,
        `subgraphs/${name}/src/index.ts`,
        { PORT: String(port), KAFKA_BROKERS: infra.KAFKA_BROKERS, ...env },
        quiet,
      );
      started.push(part);
      await waitForHttp(`http://127.0.0.1:${port}/ready`, part);
    };
    // One at a time: on two cores, parallel starts mostly contend for the CPU.
    await subgraph('patient', patientPort, {
      DATABASE_URL: infra.DATABASE_URL,
      DATABASE_SCHEMA: `${schemaPrefix}patient`,
    });
    await subgraph('doctor', doctorPort, {
      DATABASE_URL: infra.MYSQL_URL,
      DATABASE_NAME: `${schemaPrefix}doctor`,
    });
    await subgraph('appointment', appointmentPort, {
      DATABASE_URL: infra.DATABASE_URL,
      DATABASE_SCHEMA: `${schemaPrefix}appointment`,
    });
    const router = runProcess(
      'router',
      'router/src/index.ts',
      {
        PORT: String(routerPort),
        SUBGRAPH_URL_PATIENT: `http://127.0.0.1:${patientPort}/graphql`,
        SUBGRAPH_URL_DOCTOR: `http://127.0.0.1:${doctorPort}/graphql`,
        SUBGRAPH_URL_APPOINTMENT: `http://127.0.0.1:${appointmentPort}/graphql`,
      },
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

/** Drops what a run with this schema prefix stored (tests and benchmarks clean up after themselves). */
export async function dropRealModeStores(schemaPrefix: string): Promise<void> {
  if (!schemaPrefix) throw new Error('refusing to drop the unprefixed (default) stores');
  const client = new pg.Client({ connectionString: infraEnv().DATABASE_URL });
  await client.connect();
  for (const schema of ['patient', 'appointment'])
    await client.query(`drop schema if exists "${schemaPrefix}${schema}" cascade`);
  await client.end();
  const mysql = await createConnection(infraEnv().MYSQL_URL);
  await mysql.query(`drop database if exists \`${schemaPrefix}doctor\``);
  await mysql.end();
}

if (import.meta.main) {
  const env = parseEnv('launcher', z.object({ LOG_LEVEL: envFields.logLevel() }));
  const logger = createLogger({ service: 'launcher', level: env.LOG_LEVEL });
  const system = await startRealMode();
  process.stdout.write(`\nThe healthcare supergraph (real mode) is ready: ${system.routerUrl}\n`);
  // The parts stop one after another, each given up to 10 s before SIGKILL: more than the default grace.
  onShutdown(logger, system.stop, 60_000);
}
