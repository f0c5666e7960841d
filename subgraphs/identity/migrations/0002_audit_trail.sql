-- The audit trail (ADR 0017): one row per patient per request per subgraph, from the `audit.recorded`
-- events every subgraph that holds patient data writes before its answer leaves. Append-only: the store
-- only inserts, and the triggers below refuse UPDATE, DELETE and TRUNCATE for everyone, this service too.
create table audit_entries (
  -- UUIDv7, minted when the entry arrives: with `at`, the keyset for newest-first paging.
  id uuid primary key,
  -- When the request began, at the subgraph that served it.
  at timestamptz not null,
  -- The caller, as their access token said (no foreign key: the trail outlives users).
  user_id text not null,
  role text not null,
  -- Null for a refusal whose patient is not known.
  patient_id text,
  subgraph text not null,
  -- The GraphQL operation's name as the subgraph received it, and the root fields that led to the patient.
  operation_name text,
  root_fields text[] not null,
  operation_type text not null check (operation_type in ('READ', 'WRITE')),
  -- `Type.field` of every top-level field asked of the patient's objects (or refused).
  fields text[] not null,
  outcome text not null check (outcome in ('ALLOWED', 'DENIED')),
  -- The request's W3C trace id, when it came with a trace context.
  trace_id text,
  -- The event that brought it (one event holds one request's entries).
  event_id text not null
);
create index audit_entries_newest on audit_entries (at desc, id desc);
create index audit_entries_patient on audit_entries (patient_id, at desc, id desc);
create index audit_entries_user on audit_entries (user_id, at desc, id desc);

create function audit_entries_refuse_change() returns trigger language plpgsql as $$ begin raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege'; end $$;
create trigger audit_entries_no_update_or_delete before update or delete on audit_entries
  for each row execute function audit_entries_refuse_change();
create trigger audit_entries_no_truncate before truncate on audit_entries
  for each statement execute function audit_entries_refuse_change();
