-- What billing knows about patients and doctors: only what their events said (never a call back).
-- `version` is the snapshot version last applied, so replays and stragglers change nothing.
create table patient_projection (
  id uuid primary key,
  -- "Given Family", for the bill-to line of an invoice.
  name text not null,
  version int not null,
  projected_at timestamptz not null default now()
);

create table doctor_projection (
  id uuid primary key,
  name text not null,
  fee_amount int not null check (fee_amount >= 0),
  fee_currency text not null check (fee_currency ~ '^[A-Z]{3}$'),
  version int not null,
  projected_at timestamptz not null default now()
);

create sequence account_number_seq;
create sequence invoice_number_seq;

-- Exactly one account per patient: the unique patient_id decides, however often the event arrives.
create table accounts (
  id uuid primary key,
  patient_id uuid not null unique,
  account_number text not null unique,
  opened_at timestamptz not null
);

-- Every visit outcome billing heard of. A billable visit without invoice_id is pending: its doctor's fee
-- was not known yet, and the doctor's snapshot issues it. A cancelled one is kept so it is never invoiced.
create table visits (
  appointment_id uuid primary key,
  patient_id uuid not null,
  doctor_id uuid not null,
  outcome text not null check (outcome in ('COMPLETED', 'NO_SHOW', 'CANCELLED')),
  billable boolean not null,
  invoice_id uuid,
  recorded_at timestamptz not null
);
create index visits_pending on visits (doctor_id) where billable and invoice_id is null;

create table invoices (
  id uuid primary key,
  number text not null unique,
  account_id uuid not null references accounts (id),
  patient_id uuid not null,
  -- One invoice per visit, whatever the redeliveries: the unique constraint decides.
  appointment_id uuid unique,
  -- [{ description, quantity, unitPrice: { amount, currency }, amount: { amount, currency } }]
  lines jsonb not null,
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  total_amount int not null check (total_amount >= 0),
  paid_amount int not null default 0,
  status text not null check (status in ('ISSUED', 'PARTIALLY_PAID', 'PAID', 'VOID')),
  issued_at timestamptz not null,
  due_date date not null,
  void_reason text,
  version int not null,
  updated_at timestamptz not null,
  -- Never more paid than owed, whatever a bug upstream of the store might try.
  check (paid_amount >= 0 and paid_amount <= total_amount)
);
create index invoices_issued on invoices (issued_at desc, id desc);
create index invoices_patient_issued on invoices (patient_id, issued_at desc, id desc);

create table payments (
  id uuid primary key,
  invoice_id uuid not null references invoices (id),
  patient_id uuid not null,
  amount int not null check (amount > 0),
  currency text not null,
  method text not null check (method in ('CARD', 'CASH', 'BANK_TRANSFER', 'INSURANCE')),
  -- Unique over every invoice: a key names one payment request, whichever invoice it was for.
  idempotency_key text not null unique,
  received_at timestamptz not null
);
create index payments_invoice on payments (invoice_id, received_at, id);
