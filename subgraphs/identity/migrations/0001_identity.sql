create table users (
  id uuid primary key,
  -- Lower-case already (the domain normalises it), so the unique constraint is case-insensitive.
  username text not null unique,
  -- argon2id, PHC string format (parameters and salt inside).
  password_hash text not null,
  role text not null check (role in ('ADMIN', 'FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT', 'INTEGRATION')),
  -- Records of other subgraphs: no foreign key across services.
  patient_id uuid,
  doctor_id uuid,
  active boolean not null default true,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A PATIENT is exactly one patient, a CLINICIAN exactly one doctor; nobody else is linked.
  constraint users_patient_link check ((role = 'PATIENT') = (patient_id is not null)),
  constraint users_doctor_link check ((role = 'CLINICIAN') = (doctor_id is not null))
);
create index users_role on users (role, username);

-- ES256 signing keys. The private JWK lives here for now; production keeps it in a KMS or secret store
-- (ADR 0015). private_jwk is cleared once no token the key signed can still be live.
create table signing_keys (
  kid text primary key,
  public_jwk jsonb not null,
  private_jwk jsonb,
  created_at timestamptz not null,
  -- When a newer key took over signing; null for the one active key.
  retired_at timestamptz
);
create unique index signing_keys_one_active on signing_keys ((true)) where retired_at is null;

-- One family per login: every refresh token descended from it. Revoking the family ends the session.
create table refresh_families (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null,
  revoked_at timestamptz
);
create index refresh_families_user on refresh_families (user_id) where revoked_at is null;

-- Refresh tokens are opaque random strings; only their SHA-256 is stored.
create table refresh_tokens (
  token_hash text primary key,
  family_id uuid not null references refresh_families (id) on delete cascade,
  issued_at timestamptz not null,
  expires_at timestamptz not null,
  -- Set when it was exchanged for a new pair: presenting it again revokes the family.
  used_at timestamptz
);
create index refresh_tokens_family on refresh_tokens (family_id);
create index refresh_tokens_expires on refresh_tokens (expires_at);

-- Failed logins by subject: `u:` + a hash of the normalised username, or `a:` + the client address.
-- Counted before the password is checked, so parallel guesses are counted too; a success takes it back.
create table login_throttle (
  subject text primary key,
  failures int not null,
  last_failure_at timestamptz not null
);
create index login_throttle_last_failure on login_throttle (last_failure_at);
