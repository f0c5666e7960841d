-- Event ids a consumer group has applied, recorded in the same transaction as the effect.
create table kit_processed_events (
  group_id varchar(200) not null,
  event_id varchar(64) not null,
  processed_at timestamp(3) not null default current_timestamp(3),
  primary key (group_id, event_id)
);
