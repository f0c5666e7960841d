-- What observation knows about patients: only what their events said (id and MRN, for recordLabResults).
-- `version` is the snapshot version last applied, so replays and stragglers change nothing.
create table patient_projection (
  id uuid primary key,
  mrn text not null,
  active boolean not null,
  version int not null,
  projected_at timestamptz not null default now()
);
create index patient_projection_mrn on patient_projection (mrn);

-- Which doctor has or had an appointment with which patient (appointment.* events): a CLINICIAN's reach.
create table care_relationships (
  doctor_id uuid not null,
  patient_id uuid not null,
  primary key (doctor_id, patient_id)
);

-- One row per observation, its current version: the FHIR R4 document plus the columns every filter
-- reads, so lists are index scans, never JSON scans.
create table observations (
  id uuid primary key,
  patient_id uuid not null,
  -- '' when the lab sent no system: a key column, compared with =.
  code_system text not null,
  code text not null,
  status text not null check (status in ('REGISTERED', 'PRELIMINARY', 'FINAL', 'AMENDED', 'CORRECTED',
    'CANCELLED', 'ENTERED_IN_ERROR', 'UNKNOWN')),
  effective_at timestamptz,
  issued_at timestamptz not null,
  -- effective, else issued: what lists sort and from/to compare by.
  sort_at timestamptz not null,
  abnormal boolean not null,
  critical boolean not null,
  sending_facility text not null,
  message_id text not null,
  placer_order text,
  filler_order text,
  version int not null,
  resource jsonb not null,
  recorded_at timestamptz not null,
  updated_at timestamptz not null
);
create index observations_patient_sort on observations (patient_id, sort_at desc, id desc);
create index observations_patient_code on observations (patient_id, code, code_system, sort_at desc, id desc);
create index observations_patient_abnormal on observations (patient_id, sort_at desc, id desc) where abnormal;
create index observations_patient_critical on observations (patient_id, sort_at desc, id desc) where critical;
-- A CORRECTED/AMENDED result finds the one it supersedes by order and code.
create index observations_placer on observations (patient_id, placer_order, code) where placer_order is not null;
create index observations_filler on observations (patient_id, filler_order, code) where filler_order is not null;

-- Earlier versions only (the current one is in observations), for Observation.history.
create table observation_revisions (
  observation_id uuid not null references observations (id),
  version int not null,
  status text not null,
  recorded_at timestamptz not null,
  resource jsonb not null,
  primary key (observation_id, version)
);

-- One row per lab message: its content hash tells a repeat (duplicate) from a reuse (CONFLICT). The
-- primary key makes a concurrent identical batch wait for the first and then see it.
create table lab_batches (
  sending_facility text not null,
  message_id text not null,
  content_hash text not null,
  patient_id uuid not null,
  recorded_at timestamptz not null,
  primary key (sending_facility, message_id)
);

-- What each result of a batch became: idempotency on (facility, message id, position).
create table lab_batch_results (
  sending_facility text not null,
  message_id text not null,
  position int not null,
  observation_id uuid not null references observations (id),
  version int not null,
  primary key (sending_facility, message_id, position),
  foreign key (sending_facility, message_id) references lab_batches (sending_facility, message_id)
);
