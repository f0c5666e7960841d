create sequence patient_mrn_seq start 100001;

create table patients (
  id uuid primary key,
  mrn text not null unique,
  given text[] not null,
  family text not null,
  -- Keyset paging order: family then given names, case-folded; id breaks ties.
  sort_name text not null,
  birth_date date not null,
  gender text not null check (gender in ('MALE', 'FEMALE', 'OTHER', 'UNKNOWN')),
  email text,
  phone text,
  address jsonb,
  active boolean not null default true,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index patients_email_unique on patients (lower(email)) where email is not null;
create index patients_sort on patients (sort_name, id);
create index patients_birth_date on patients (birth_date);

-- One row per case-folded name part, so "name starts with" is an index range scan.
create table patient_name_tokens (
  patient_id uuid not null references patients (id) on delete cascade,
  token text not null,
  primary key (token, patient_id)
);
create index patient_name_tokens_patient on patient_name_tokens (patient_id);
