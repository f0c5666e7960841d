-- Binary collation on the keys compared in SQL (sort name, tokens, specialties): they are case-folded
-- already, and byte order keeps paging and prefix matches identical to Postgres.
create table doctors (
  id char(36) character set ascii not null primary key,
  license_number varchar(40) not null,
  given json not null,
  family varchar(100) not null,
  sort_name varchar(400) collate utf8mb4_bin not null,
  specialties json not null,
  time_zone varchar(64) not null,
  working_hours json not null,
  fee_amount int not null check (fee_amount >= 0),
  fee_currency char(3) not null,
  active boolean not null default true,
  version int not null default 1,
  created_at timestamp(3) not null default current_timestamp(3),
  updated_at timestamp(3) not null default current_timestamp(3),
  constraint doctors_license_number_key unique (license_number)
) character set utf8mb4;
create index doctors_sort on doctors (sort_name, id);

create table doctor_name_tokens (
  doctor_id char(36) character set ascii not null,
  token varchar(100) collate utf8mb4_bin not null,
  primary key (token, doctor_id),
  constraint doctor_name_tokens_doctor foreign key (doctor_id) references doctors (id) on delete cascade
) character set utf8mb4;

create table doctor_specialties (
  doctor_id char(36) character set ascii not null,
  specialty varchar(100) collate utf8mb4_bin not null,
  primary key (specialty, doctor_id),
  constraint doctor_specialties_doctor foreign key (doctor_id) references doctors (id) on delete cascade
) character set utf8mb4;
