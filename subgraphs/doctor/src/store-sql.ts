import { conflict, likePrefix, nameSearchTokens, nameSortKey } from '@hsg/kit';
import {
  aggregateWriter,
  countRows,
  isUniqueViolation,
  nameKeysetPage,
  type SqlDatabase,
  violatedConstraint,
} from '@hsg/kit/sql';
import type { ColumnType, Kysely, Selectable, Transaction } from 'kysely';
import {
  type Doctor,
  type DoctorCursor,
  type DoctorFilter,
  specialtyKey,
  type WorkingHours,
} from './model.ts';
import type { DoctorStore } from './store.ts';

/** Read back parsed by every driver; written as JSON text, which both Postgres and MySQL accept. */
type Json<T> = ColumnType<T, string, string>;

interface DoctorRow {
  id: string;
  license_number: string;
  given: Json<string[]>;
  family: string;
  sort_name: string;
  specialties: Json<string[]>;
  time_zone: string;
  working_hours: Json<WorkingHours[]>;
  fee_amount: number;
  fee_currency: string;
  active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface Tables {
  doctors: DoctorRow;
  doctor_name_tokens: { doctor_id: string; token: string };
  doctor_specialties: { doctor_id: string; specialty: string };
}

const toDoctor = (row: Selectable<DoctorRow>): Doctor => ({
  id: row.id,
  name: { given: row.given, family: row.family },
  licenseNumber: row.license_number,
  specialties: row.specialties,
  timeZone: row.time_zone,
  workingHours: row.working_hours,
  consultationFee: { amount: row.fee_amount, currency: row.fee_currency },
  active: row.active,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRow = (doctor: Doctor) => ({
  id: doctor.id,
  license_number: doctor.licenseNumber,
  given: JSON.stringify(doctor.name.given),
  family: doctor.name.family,
  sort_name: nameSortKey(doctor.name),
  specialties: JSON.stringify(doctor.specialties),
  time_zone: doctor.timeZone,
  working_hours: JSON.stringify(doctor.workingHours),
  fee_amount: doctor.consultationFee.amount,
  fee_currency: doctor.consultationFee.currency,
  active: doctor.active,
  version: doctor.version,
  created_at: doctor.createdAt,
  updated_at: doctor.updatedAt,
});

/** A unique violation on the license becomes CONFLICT naming the field a client can fix. */
function uniqueViolation(error: unknown): never {
  if (isUniqueViolation(error) && violatedConstraint(error)?.includes('license')) {
    throw conflict('licenseNumber is already registered to another doctor', { field: 'licenseNumber' });
  }
  throw error;
}

/**
 * Doctors in SQL: the same Kysely queries run on MariaDB/MySQL (real mode) and Postgres/PGlite
 * (embedded mode); nothing here depends on the dialect. Name tokens and case-folded specialties live in
 * child tables so both filters are index lookups; working hours are JSON, read whole.
 */
export function createSqlDoctorStore(database: SqlDatabase): DoctorStore {
  const db = database.db as Kysely<Tables>;

  async function writeChildren(trx: Transaction<Tables>, doctor: Doctor): Promise<void> {
    await trx.deleteFrom('doctor_name_tokens').where('doctor_id', '=', doctor.id).execute();
    await trx.deleteFrom('doctor_specialties').where('doctor_id', '=', doctor.id).execute();
    const tokens = nameSearchTokens(doctor.name).map((token) => ({ doctor_id: doctor.id, token }));
    const keys = [...new Set(doctor.specialties.map(specialtyKey))];
    if (tokens.length > 0) await trx.insertInto('doctor_name_tokens').values(tokens).execute();
    if (keys.length > 0) {
      await trx
        .insertInto('doctor_specialties')
        .values(keys.map((specialty) => ({ doctor_id: doctor.id, specialty })))
        .execute();
    }
  }

  const writer = aggregateWriter<Doctor>(database, {
    table: 'doctors',
    entity: 'doctor',
    toRow,
    writeChildren: (trx, doctor) => writeChildren(trx as Transaction<Tables>, doctor),
    mapError: uniqueViolation,
  });

  function filtered(filter: DoctorFilter) {
    let query = db.selectFrom('doctors');
    if (typeof filter.active === 'boolean') query = query.where('active', '=', filter.active);
    if (filter.specialty) {
      const key = specialtyKey(filter.specialty);
      query = query.where('id', 'in', (eb) =>
        eb.selectFrom('doctor_specialties').select('doctor_id').where('specialty', '=', key),
      );
    }
    if (filter.name) {
      const prefix = likePrefix(filter.name.trim());
      query = query.where('id', 'in', (eb) =>
        eb.selectFrom('doctor_name_tokens').select('doctor_id').where('token', 'like', prefix),
      );
    }
    return query;
  }

  return {
    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('doctors')
        .selectAll()
        .where('id', 'in', [...new Set(ids)])
        .execute();
      return rows.map(toDoctor);
    },

    async search(filter, first, after?: DoctorCursor) {
      const page = await nameKeysetPage(filtered(filter).selectAll(), first, after, database.dialect);
      return {
        doctors: page.rows.map(({ row, cursor }) => ({ doctor: toDoctor(row), cursor })),
        hasNextPage: page.hasNextPage,
      };
    },

    count: (filter) => countRows(filtered(filter)),

    ...writer,
  };
}
