import { conflict, isUuid, likePrefix, nameSearchTokens, nameSortKey } from '@hsg/kit';
import {
  aggregateWriter,
  countRows,
  isUniqueViolation,
  nameKeysetPage,
  type SqlDatabase,
  violatedConstraint,
} from '@hsg/kit/sql';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Address, Patient, PatientCursor, PatientFilter, PatientScope } from './model.ts';
import type { PatientStore } from './store.ts';

interface PatientRow {
  id: string;
  mrn: string;
  given: string[];
  family: string;
  sort_name: string;
  birth_date: string;
  gender: Patient['gender'];
  email: string | null;
  phone: string | null;
  address: Address | null;
  active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface Tables {
  patients: PatientRow;
  patient_name_tokens: { patient_id: string; token: string };
  care_relationships: { doctor_id: string; patient_id: string; first_booked_at: Date };
}

const toPatient = (row: PatientRow): Patient => ({
  id: row.id,
  mrn: row.mrn,
  name: { given: row.given, family: row.family },
  birthDate: row.birth_date,
  gender: row.gender,
  email: row.email,
  phone: row.phone,
  address: row.address,
  active: row.active,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRow = (patient: Patient): PatientRow => ({
  id: patient.id,
  mrn: patient.mrn,
  given: patient.name.given,
  family: patient.name.family,
  sort_name: nameSortKey(patient.name),
  birth_date: patient.birthDate,
  gender: patient.gender,
  email: patient.email,
  phone: patient.phone,
  address: patient.address === null ? null : (JSON.stringify(patient.address) as unknown as Address),
  active: patient.active,
  version: patient.version,
  created_at: patient.createdAt,
  updated_at: patient.updatedAt,
});

/** Unique violations become CONFLICT naming the field a client can fix. */
function uniqueViolation(error: unknown): never {
  if (isUniqueViolation(error)) {
    const constraint = violatedConstraint(error);
    if (constraint?.includes('email'))
      throw conflict('email is already registered to another patient', { field: 'email' });
    if (constraint?.includes('mrn')) throw conflict('mrn is already in use', { field: 'mrn' });
  }
  throw error;
}

export function createSqlPatientStore(database: SqlDatabase): PatientStore {
  const db = database.db as Kysely<Tables>;

  async function writeTokens(trx: Transaction<Tables>, patient: Patient): Promise<void> {
    await trx.deleteFrom('patient_name_tokens').where('patient_id', '=', patient.id).execute();
    const tokens = nameSearchTokens(patient.name).map((token) => ({ patient_id: patient.id, token }));
    if (tokens.length > 0) await trx.insertInto('patient_name_tokens').values(tokens).execute();
  }

  const writer = aggregateWriter<Patient>(database, {
    table: 'patients',
    entity: 'patient',
    toRow,
    writeChildren: (trx, patient) => writeTokens(trx as Transaction<Tables>, patient),
    mapError: uniqueViolation,
  });

  /** The patients of `scope` (whose ids access.ts made sure are UUIDs) that match the filter. */
  function filtered(filter: PatientFilter, scope: PatientScope) {
    let query = db.selectFrom('patients');
    if (scope.kind === 'none') query = query.where(sql<boolean>`false`);
    if (scope.kind === 'patient') query = query.where('id', '=', scope.patientId);
    if (scope.kind === 'doctor') {
      const { doctorId } = scope;
      query = query.where('id', 'in', (eb) =>
        eb.selectFrom('care_relationships').select('patient_id').where('doctor_id', '=', doctorId),
      );
    }
    if (filter.birthDate) query = query.where('birth_date', '=', filter.birthDate);
    if (typeof filter.active === 'boolean') query = query.where('active', '=', filter.active);
    const name = filter.name;
    if (name) {
      query = query.where('id', 'in', (eb) =>
        eb.selectFrom('patient_name_tokens').select('patient_id').where('token', 'like', likePrefix(name)),
      );
    }
    return query;
  }

  return {
    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('patients')
        .selectAll()
        .where('id', '=', sql<string>`any(${sql.val([...ids])}::uuid[])`)
        .execute();
      return rows.map(toPatient);
    },

    async findByMrn(mrn) {
      const row = await db.selectFrom('patients').selectAll().where('mrn', '=', mrn).executeTakeFirst();
      return row && toPatient(row);
    },

    async search(filter, scope, first, after?: PatientCursor) {
      const page = await nameKeysetPage(filtered(filter, scope).selectAll(), first, after, database.dialect);
      return {
        patients: page.rows.map(({ row, cursor }) => ({ patient: toPatient(row), cursor })),
        hasNextPage: page.hasNextPage,
      };
    },

    count: (filter, scope) => countRows(filtered(filter, scope)),

    async caredForBy(doctorId, patientIds) {
      const ids = patientIds.filter(isUuid);
      if (!isUuid(doctorId) || ids.length === 0) return [];
      const rows = await db
        .selectFrom('care_relationships')
        .select('patient_id')
        .where('doctor_id', '=', doctorId)
        .where('patient_id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
        .execute();
      return rows.map((row) => row.patient_id);
    },

    async nextMrnNumber() {
      const { rows } = await sql<{ n: number }>`select nextval('patient_mrn_seq') as n`.execute(db);
      return Number(rows[0]?.n);
    },

    ...writer,
  };
}
