-- Events waiting to be published, written in the same transaction as the state change they describe.
create table kit_outbox (
  seq bigint not null auto_increment primary key,
  event_id varchar(64) not null unique,
  topic varchar(200) not null,
  `key` varchar(200) not null,
  payload longtext not null, -- the CloudEvent exactly as it will be published
  headers json not null,
  created_at timestamp(3) not null default current_timestamp(3),
  sent_at timestamp(3) null
);
create index kit_outbox_unsent on kit_outbox (sent_at, seq);

-- Leases let exactly one relay (of several service instances) publish at a time, preserving order.
create table kit_leases (
  name varchar(200) not null primary key,
  owner varchar(64) not null,
  expires_at timestamp(3) not null
);
