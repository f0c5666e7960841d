-- Event ids a consumer group has applied, recorded in the same transaction as the effect.
create table kit_processed_events (
  group_id text not null,
  event_id text not null,
  processed_at timestamptz not null default now(),
  primary key (group_id, event_id)
);
