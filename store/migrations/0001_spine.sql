-- The spine: patients and their identifiers, organizations, practitioners, the clinical records of the canonical
-- model, documents with XDS metadata, and inbound messages kept raw. Each record's canonical form lives in
-- `resource` (jsonb); the columns beside it are the ones lookups and indexes need.

CREATE TABLE patients (
  id          uuid PRIMARY KEY,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
  merged_into uuid REFERENCES patients (id),
  birth_date  text,
  gender      text NOT NULL,
  resource    jsonb NOT NULL,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'merged') = (merged_into IS NOT NULL))
);

-- An identifier names exactly one patient; the row is the truth for the patient's identifiers.
CREATE TABLE patient_identifiers (
  system     text NOT NULL,
  value      text NOT NULL,
  patient_id uuid NOT NULL REFERENCES patients (id),
  seq        bigserial NOT NULL,
  detail     jsonb NOT NULL,
  linked_by  text NOT NULL,
  linked_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, value)
);
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id, seq);

-- One row per family name a patient is known by (own and partner name), folded for matching.
CREATE TABLE patient_name_keys (
  patient_id uuid NOT NULL REFERENCES patients (id),
  family_key text NOT NULL,
  birth_date text,
  PRIMARY KEY (patient_id, family_key)
);
CREATE INDEX patient_name_keys_family_birth ON patient_name_keys (family_key, birth_date);
CREATE INDEX patients_birth_date ON patients (birth_date) WHERE status = 'active';

CREATE TABLE patient_merges (
  id          uuid PRIMARY KEY,
  survivor_id uuid NOT NULL REFERENCES patients (id),
  merged_id   uuid NOT NULL REFERENCES patients (id),
  reason      text NOT NULL,
  merged_by   text NOT NULL,
  merged_at   timestamptz NOT NULL DEFAULT now(),
  moved       jsonb NOT NULL
);
CREATE INDEX patient_merges_survivor ON patient_merges (survivor_id);
CREATE INDEX patient_merges_merged ON patient_merges (merged_id);

CREATE TABLE organizations (
  id                uuid PRIMARY KEY,
  name              text NOT NULL,
  home_community_id text UNIQUE,
  resource          jsonb NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE organization_identifiers (
  system          text NOT NULL,
  value           text NOT NULL,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  PRIMARY KEY (system, value)
);
CREATE INDEX organization_identifiers_owner ON organization_identifiers (organization_id);

CREATE TABLE practitioners (
  id         uuid PRIMARY KEY,
  resource   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE practitioner_identifiers (
  system          text NOT NULL,
  value           text NOT NULL,
  practitioner_id uuid NOT NULL REFERENCES practitioners (id),
  PRIMARY KEY (system, value)
);
CREATE INDEX practitioner_identifiers_owner ON practitioner_identifiers (practitioner_id);

CREATE TABLE inbound_messages (
  id             uuid PRIMARY KEY,
  sender         text NOT NULL,
  message_id     text NOT NULL,
  format         text NOT NULL,
  status         text NOT NULL CHECK (status IN ('received', 'processed', 'quarantined')),
  received_at    timestamptz NOT NULL DEFAULT now(),
  processed_at   timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  content_sha256 text NOT NULL,
  size           integer NOT NULL,
  issues         jsonb NOT NULL DEFAULT '[]',
  raw            bytea NOT NULL,
  UNIQUE (sender, message_id)
);
CREATE INDEX inbound_messages_status ON inbound_messages (status, received_at);

-- `code` is the primary coding as system|code; `codes` holds every coding, for lookups by a mapped code.
CREATE TABLE observations (
  id           uuid PRIMARY KEY,
  patient_id   uuid NOT NULL REFERENCES patients (id),
  code         text NOT NULL,
  codes        text[] NOT NULL,
  status       text NOT NULL,
  effective_at timestamptz,
  value_num    numeric,
  report_id    uuid,
  message_id   uuid REFERENCES inbound_messages (id),
  resource     jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX observations_patient_code_time ON observations (patient_id, code, effective_at DESC);
-- Matches the page order (newest first, untimed last, id to break ties), so keyset pages read only their rows.
CREATE INDEX observations_patient_time ON observations (patient_id, effective_at DESC NULLS LAST, id DESC);
CREATE INDEX observations_report ON observations (report_id) WHERE report_id IS NOT NULL;
CREATE INDEX observations_message ON observations (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE conditions (
  id         uuid PRIMARY KEY,
  patient_id uuid NOT NULL REFERENCES patients (id),
  code       text NOT NULL,
  onset_at   timestamptz,
  message_id uuid REFERENCES inbound_messages (id),
  resource   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conditions_patient ON conditions (patient_id, code);
CREATE INDEX conditions_patient_onset ON conditions (patient_id, onset_at DESC NULLS LAST, id DESC);

CREATE TABLE care_program_enrolments (
  id         uuid PRIMARY KEY,
  patient_id uuid NOT NULL REFERENCES patients (id),
  program    text NOT NULL CHECK (program IN ('DM2', 'COPD', 'CVRM')),
  status     text NOT NULL,
  message_id uuid REFERENCES inbound_messages (id),
  resource   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX care_program_enrolments_patient ON care_program_enrolments (patient_id, program);
CREATE INDEX care_program_enrolments_program ON care_program_enrolments (program, status);

CREATE TABLE diagnostic_reports (
  id           uuid PRIMARY KEY,
  patient_id   uuid NOT NULL REFERENCES patients (id),
  code         text NOT NULL,
  effective_at timestamptz,
  message_id   uuid REFERENCES inbound_messages (id),
  resource     jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX diagnostic_reports_patient_time ON diagnostic_reports (patient_id, effective_at DESC NULLS LAST, id DESC);

CREATE TABLE documents (
  id                     uuid PRIMARY KEY,
  patient_id             uuid NOT NULL REFERENCES patients (id),
  unique_id              text NOT NULL UNIQUE,
  entry_uuid             text NOT NULL UNIQUE,
  repository_unique_id   text NOT NULL,
  status                 text NOT NULL,
  class_code             text NOT NULL,
  type_code              text NOT NULL,
  format_code            text NOT NULL,
  practice_setting_code  text NOT NULL,
  facility_type_code     text NOT NULL,
  creation_time          timestamptz NOT NULL,
  service_start_time     timestamptz,
  resource               jsonb NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_patient_time ON documents (patient_id, creation_time DESC);
CREATE INDEX documents_patient_class ON documents (patient_id, class_code, type_code);

CREATE TABLE document_content (
  document_id uuid PRIMARY KEY REFERENCES documents (id),
  content     bytea NOT NULL
);
