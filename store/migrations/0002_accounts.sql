-- Accounts of people (staff and patients), their sessions and trusted devices, sign-in throttling, invitations,
-- and the partner connections organizations use, each with credentials of its own.

CREATE TABLE users (
  id              uuid PRIMARY KEY,
  email           text NOT NULL,
  email_key       text NOT NULL UNIQUE,
  display_name    text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('staff', 'patient')),
  roles           text[] NOT NULL DEFAULT '{}',
  patient_id      uuid REFERENCES patients (id),
  status          text NOT NULL CHECK (status IN ('invited', 'active', 'deactivated')),
  password_hash   text,
  totp_secret     text,
  totp_enabled_at timestamptz,
  -- The last TOTP time step accepted: a code is good once, so an observed code cannot be replayed.
  totp_last_step  bigint,
  recovery_codes  jsonb NOT NULL DEFAULT '[]',
  failed_logins   integer NOT NULL DEFAULT 0,
  locked_until    timestamptz,
  -- Raised by deactivation, password and 2FA resets: sessions and devices of an older epoch stop working.
  security_epoch  integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'patient') = (patient_id IS NOT NULL)),
  CHECK (kind = 'staff' OR roles = '{}'),
  CHECK (roles <@ ARRAY['member', 'provider', 'admin', 'compliance']::text[])
);
CREATE UNIQUE INDEX users_one_account_per_patient ON users (patient_id) WHERE patient_id IS NOT NULL;

CREATE TABLE sessions (
  id_hash        text PRIMARY KEY,
  user_id        uuid NOT NULL REFERENCES users (id),
  security_epoch integer NOT NULL,
  stage          text NOT NULL CHECK (stage IN ('password', 'complete')),
  csrf_token     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  ended_at       timestamptz,
  source_address text
);
CREATE INDEX sessions_open_by_user ON sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE trusted_devices (
  id_hash        text PRIMARY KEY,
  user_id        uuid NOT NULL REFERENCES users (id),
  security_epoch integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz
);
CREATE INDEX trusted_devices_user ON trusted_devices (user_id);

-- Failed sign-ins per account and per source address within a sliding window, shared by every gateway process.
CREATE TABLE auth_throttle (
  key          text PRIMARY KEY,
  failures     integer NOT NULL,
  window_start timestamptz NOT NULL
);

CREATE TABLE invitations (
  token_hash  text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id),
  created_by  uuid REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz
);
CREATE INDEX invitations_user ON invitations (user_id);

CREATE TABLE connections (
  id                  uuid PRIMARY KEY,
  organization_id     uuid NOT NULL REFERENCES organizations (id),
  kind                text NOT NULL CHECK (kind IN ('carequality', 'fhir', 'his', 'lab')),
  name                text NOT NULL,
  status              text NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
  failed_auth_count   integer NOT NULL DEFAULT 0,
  failed_auth_since   timestamptz,
  last_failed_auth_at timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_organization ON connections (organization_id);

-- token: lookup = credential id, secret_hash = SHA-256 of the secret (tokens are random, so a fast hash suffices);
-- certificate: lookup = SHA-256 fingerprint of the DER certificate; jwk: lookup = the key's RFC 7638 thumbprint.
CREATE TABLE connection_credentials (
  id            uuid PRIMARY KEY,
  connection_id uuid NOT NULL REFERENCES connections (id),
  type          text NOT NULL CHECK (type IN ('token', 'certificate', 'jwk')),
  lookup        text NOT NULL,
  secret_hash   text,
  public_jwk    jsonb,
  label         text,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  CHECK ((type = 'token') = (secret_hash IS NOT NULL)),
  CHECK ((type = 'jwk') = (public_jwk IS NOT NULL))
);
CREATE UNIQUE INDEX connection_credentials_lookup ON connection_credentials (type, lookup);
CREATE INDEX connection_credentials_connection ON connection_credentials (connection_id);
