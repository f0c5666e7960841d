create table doctors (
  id uuid primary key,
  license_number varchar(40) not null,
  given jsonb not null,
  family varchar(100) not null,
  -- Keyset paging order: family then given names, case-folded; id breaks ties.
  sort_name varchar(400) collate "C" not null,
  -- Shown as registered, in order; filtering goes through doctor_specialties.
  specialties jsonb not null,
  time_zone varchar(64) not null,
  -- [{weekday, start, end}] sorted by weekday then start: read whole, never queried by parts.
  working_hours jsonb not null,
  fee_amount int not null check (fee_amount >= 0),
  fee_currency char(3) not null,
  active boolean not null default true,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint doctors_license_number_key unique (license_number)
);
create index doctors_sort on doctors (sort_name, id);

-- One row per case-folded name part, so "name starts with" is an index range scan (byte order: "C").
create table doctor_name_tokens (
  doctor_id uuid not null references doctors (id) on delete cascade,
  token varchar(100) collate "C" not null,
  primary key (token, doctor_id)
);
create index doctor_name_tokens_doctor on doctor_name_tokens (doctor_id);

-- One row per case-folded specialty, so the specialty filter is an index lookup.
create table doctor_specialties (
  doctor_id uuid not null references doctors (id) on delete cascade,
  specialty varchar(100) collate "C" not null,
  primary key (specialty, doctor_id)
);
create index doctor_specialties_doctor on doctor_specialties (doctor_id);
