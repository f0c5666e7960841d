-- Which doctors have or had an appointment with which patients: a projection of the appointment events
-- (never a call to the appointment subgraph), read by the CLINICIAN access rules. A cancelled or missed
-- appointment still counts ("have or had"), so rows are only ever added.
create table care_relationships (
  doctor_id uuid not null,
  patient_id uuid not null,
  -- When the earliest appointment seen between them was booked.
  first_booked_at timestamptz not null,
  primary key (doctor_id, patient_id)
);
