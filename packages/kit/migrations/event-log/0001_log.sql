-- The embedded durable log: Kafka's contract (topics, partitions, offsets, groups) on Postgres tables.
create table log_partitions (
  topic text not null,
  partition int not null,
  next_offset bigint not null default 0,
  primary key (topic, partition)
);

create table log_records (
  topic text not null,
  partition int not null,
  "offset" bigint not null,
  key text not null,
  value text not null,
  headers jsonb not null default '{}',
  appended_at timestamptz not null default now(),
  primary key (topic, partition, "offset")
);

create table log_group_offsets (
  group_id text not null,
  topic text not null,
  partition int not null,
  next_offset bigint not null,
  updated_at timestamptz not null default now(),
  primary key (group_id, topic, partition)
);

-- One active member per group at a time (the embedded log does not split partitions between members).
create table kit_leases (
  name text primary key,
  owner text not null,
  expires_at timestamptz not null
);
