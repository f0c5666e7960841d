import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type AppointmentService, startAppointmentService } from '@hsg/appointment';
import { type DoctorService, startDoctorService } from '@hsg/doctor';
import { createLogger, envFields, type Logger, onShutdown, parseEnv } from '@hsg/kit';
import { createEmbeddedLog, type EventTransport, eventLogMigrations } from '@hsg/kit/events';
import { EmbeddedPostgres, runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { type PatientService, startPatientService } from '@hsg/patient';
import { createRouter } from '@hsg/router';
import { loadSupergraphSdl } from '@hsg/schema';
import { z } from 'zod';
import { loadDemoData } from './demo-data.ts';
import { repoRoot } from './processes.ts';

export const defaultDataDir = join(repoRoot, '.data', 'embedded');

export interface EmbeddedOptions {
  /** Where PGlite keeps its files; undefined keeps everything in memory (tests). */
  dataDir?: string | undefined;
  routerPort?: number;
  patientPort?: number;
  doctorPort?: number;
  appointmentPort?: number;
  demoData?: boolean;
  /** Sees every SQL statement, by schema (SQL logging; tests that count queries). */
  onQuery?: (schema: string, query: { sql: string; durationMs: number }) => void;
  /** The appointment service's clock (tests move time; the system uses the real one). */
  clock?: () => Date;
  /** Defaults to info-level lines on stdout. */
  logger?: Logger;
}

export interface EmbeddedSystem {
  routerUrl: string;
  patientUrl: string;
  doctorUrl: string;
  appointmentUrl: string;
  /** The embedded event log, for tools and tests that want to read the topics. */
  transport: EventTransport;
  patient: PatientService;
  doctor: DoctorService;
  appointment: AppointmentService;
  stop(): Promise<void>;
}

/**
 * Embedded mode: the router and every subgraph in this one process, each on its own port with its own
 * schema in one PGlite, and the embedded event log in place of Kafka. Services do not know the difference.
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedSystem> {
  const logger = options.logger ?? createLogger({ service: 'embedded', level: 'info' });
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const postgres = await EmbeddedPostgres.open(
    options.dataDir ? { dataDir: join(options.dataDir, 'pglite') } : {},
  );
  const databases: SqlDatabase[] = [];
  const schema = async (name: string) => {
    const onQuery = options.onQuery;
    const database = await postgres.database(
      name,
      onQuery ? { onQuery: (query) => onQuery(name, query) } : {},
    );
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
  const doctor = await startDoctorService({
    database: await schema('doctor'),
    transport,
    logger: logger.child({ service: 'doctor' }),
    port: options.doctorPort ?? 4102,
  });
  const appointment = await startAppointmentService({
    database: await schema('appointment'),
    transport,
    logger: logger.child({ service: 'appointment' }),
    port: options.appointmentPort ?? 4103,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  if (options.demoData ?? true) {
    const loaded = await loadDemoData({ patient, doctor, appointment });
    if (loaded) logger.info(loaded, 'demo data loaded');
  }

  const router = createRouter({
    supergraphSdl: await loadSupergraphSdl(),
    logger: logger.child({ service: 'router' }),
    subgraphUrls: { patient: patient.url, doctor: doctor.url, appointment: appointment.url },
  });
  const routerPort = await router.start(options.routerPort ?? 4000);

  return {
    routerUrl: `http://127.0.0.1:${routerPort}/graphql`,
    patientUrl: patient.url,
    doctorUrl: doctor.url,
    appointmentUrl: appointment.url,
    transport,
    patient,
    doctor,
    appointment,
    async stop() {
      await router.stop();
      await appointment.stop();
      await doctor.stop();
      await patient.stop();
      await transport.close();
      for (const database of databases) await database.close();
      await postgres.close();
    },
  };
}

if (import.meta.main) {
  const started = performance.now();
  const env = parseEnv(
    'embedded',
    z.object({
      PORT: envFields.port(4000),
      PATIENT_PORT: envFields.port(4101),
      DOCTOR_PORT: envFields.port(4102),
      APPOINTMENT_PORT: envFields.port(4103),
      /** Where the data lives between runs (`npm run reset` removes it). */
      DATA_DIR: z.string().default(defaultDataDir),
      LOG_LEVEL: envFields.logLevel(),
    }),
  );
  const dataDir = env.DATA_DIR;
  const logger = createLogger({ service: 'embedded', level: env.LOG_LEVEL });
  const system = await startEmbedded({
    dataDir,
    routerPort: env.PORT,
    patientPort: env.PATIENT_PORT,
    doctorPort: env.DOCTOR_PORT,
    appointmentPort: env.APPOINTMENT_PORT,
    logger,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\nThe healthcare supergraph is ready in ${seconds} s (embedded mode: one process, data in ${relative(process.cwd(), dataDir) || dataDir}).\n` +
      `  GraphQL + Apollo Sandbox: ${system.routerUrl}\n` +
      `  patient subgraph:         ${system.patientUrl}\n` +
      `  doctor subgraph:          ${system.doctorUrl}\n` +
      `  appointment subgraph:     ${system.appointmentUrl}\n` +
      '  Stop with Ctrl+C; `npm run reset` clears the data.\n\n',
  );
  onShutdown(logger, system.stop);
}
