-- What notification knows about other subgraphs' entities: only what their events said, and only what
-- it needs. `version` is the snapshot version last applied, so replays and stragglers change nothing.

-- A patient's MRN (for a critical result's text) and e-mail address (where their mail goes).
create table patient_projection (
  id uuid primary key,
  mrn text not null,
  email text,
  active boolean not null,
  version int not null,
  projected_at timestamptz not null default now()
);

-- A doctor's license number (what a lab's ordering provider is matched against) and time zone (how an
-- appointment's time is written).
create table doctor_projection (
  id uuid primary key,
  license_number text not null,
  time_zone text not null,
  active boolean not null,
  version int not null,
  projected_at timestamptz not null default now()
);
create index doctor_projection_license on doctor_projection (license_number);

-- Every appointment heard of: whose doctor a critical result falls back to (the patient's latest).
create table appointment_projection (
  id uuid primary key,
  patient_id uuid not null,
  doctor_id uuid not null,
  start_at timestamptz not null,
  status text not null check (status in ('BOOKED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')),
  version int not null
);
create index appointment_projection_patient on appointment_projection (patient_id, start_at desc);

-- Which doctor has or had an appointment with which patient: a CLINICIAN's reach. Only ever added to.
create table care_relationships (
  doctor_id uuid not null,
  patient_id uuid not null,
  primary key (doctor_id, patient_id)
);

-- Whether an observation's latest version heard of is critical: observation.corrected carries only the
-- previous version's number and status, and a correction notifies only when it becomes critical.
create table observation_projection (
  id uuid primary key,
  critical boolean not null,
  version int not null
);

-- The notifications, and the outbox their sender works from: a row is written PENDING in the transaction
-- that records its event as handled, and the sender delivers it later (SENT, or FAILED after its attempts).
create table notifications (
  id uuid primary key,
  -- The id of the event it came from: at most one notification of a kind per event, whatever redelivers it.
  event_id text not null,
  kind text not null check (kind in ('CRITICAL_RESULT', 'APPOINTMENT_BOOKED', 'APPOINTMENT_RESCHEDULED',
    'APPOINTMENT_CANCELLED')),
  patient_id uuid not null,
  recipient_kind text not null check (recipient_kind in ('PATIENT', 'DOCTOR', 'CLINIC')),
  -- The patient or doctor it is addressed to; none for the clinic.
  recipient_id uuid,
  subject text not null,
  body text not null,
  status text not null default 'PENDING' check (status in ('PENDING', 'SENT', 'FAILED')),
  -- How it went out (or last failed); null while nothing was tried.
  channel text check (channel in ('SMTP', 'OUTBOX')),
  -- Delivery attempts started; each start pushes next_attempt_at out by the claim, so a sender that died
  -- mid-delivery leaves a row another pass retries once the claim ran out.
  attempts int not null default 0,
  next_attempt_at timestamptz not null,
  -- A short code of the last failure (an SMTP reply code, a connection error's code): never an address.
  last_error text,
  created_at timestamptz not null,
  sent_at timestamptz,
  unique (event_id, kind),
  check ((recipient_kind = 'CLINIC') = (recipient_id is null))
);
create index notifications_patient on notifications (patient_id, created_at desc, id desc);
create index notifications_due on notifications (next_attempt_at, id) where status = 'PENDING';
create index notifications_doctor on notifications (recipient_id, patient_id) where recipient_kind = 'DOCTOR';
