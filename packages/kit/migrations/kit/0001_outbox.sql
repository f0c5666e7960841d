-- Events waiting to be published, written in the same transaction as the state change they describe.
create table kit_outbox (
  seq bigserial primary key,
  event_id text not null unique,
  topic text not null,
  key text not null,
  payload text not null, -- the CloudEvent exactly as it will be published
  headers jsonb not null default '{}',
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index kit_outbox_unsent on kit_outbox (seq) where sent_at is null;

-- Leases let exactly one relay (of several service instances) publish at a time, preserving order.
create table kit_leases (
  name text primary key,
  owner text not null,
  expires_at timestamptz not null
);
