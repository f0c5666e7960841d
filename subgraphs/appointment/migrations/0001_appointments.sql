-- What this subgraph knows about patients and doctors: only what their events said (never a call back).
-- `version` is the snapshot version of the last applied event, so replays and stragglers are ignored.
create table patient_projection (
  id uuid primary key,
  active boolean not null,
  version int not null,
  projected_at timestamptz not null default now()
);

create table doctor_projection (
  id uuid primary key,
  active boolean not null,
  time_zone text not null,
  -- [{ weekday, start, end }], local to time_zone.
  working_hours jsonb not null,
  version int not null,
  projected_at timestamptz not null default now()
);

create table appointments (
  id uuid primary key,
  patient_id uuid not null,
  doctor_id uuid not null,
  start_at timestamptz not null,
  end_at timestamptz not null,
  during tstzrange generated always as (tstzrange(start_at, end_at, '[)')) stored,
  status text not null check (status in ('BOOKED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')),
  reason text,
  cancellation_reason text,
  version int not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  check (end_at > start_at),
  -- No double booking, decided by the store: two BOOKED intervals of one doctor (or one patient) never
  -- overlap, however many requests race. A violation is SQLSTATE 23P01 naming the constraint.
  constraint appointments_doctor_overlap
    exclude using gist (doctor_id with =, during with &&) where (status = 'BOOKED'),
  constraint appointments_patient_overlap
    exclude using gist (patient_id with =, during with &&) where (status = 'BOOKED')
);
-- Keyset paging walks (start_at, id), globally and per patient / doctor.
create index appointments_start on appointments (start_at, id);
create index appointments_patient_start on appointments (patient_id, start_at, id);
create index appointments_doctor_start on appointments (doctor_id, start_at, id);
-- The no-show job's scan.
create index appointments_booked_end on appointments (end_at) where status = 'BOOKED';
