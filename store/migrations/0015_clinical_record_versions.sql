-- A record its sender corrects (a lab's changed result, a GP's corrected value, sent again under the record's own
-- id in a later message) is replaced by the corrected version: `version` counts the versions, `updated_at` is when
-- the current one replaced the one before (NULL while the first stands, so adding it rewrites no table), and each
-- replaced version is kept as it was, with the message that brought it, in clinical_record_versions.
ALTER TABLE observations ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN updated_at timestamptz;
ALTER TABLE conditions ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN updated_at timestamptz;
ALTER TABLE care_program_enrolments ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN updated_at timestamptz;
ALTER TABLE diagnostic_reports ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN updated_at timestamptz;

CREATE TABLE clinical_record_versions (
  record_table text NOT NULL CHECK (record_table IN ('observations', 'conditions', 'care_program_enrolments', 'diagnostic_reports')),
  id           uuid NOT NULL,
  version      integer NOT NULL,
  message_id   uuid REFERENCES inbound_messages (id),
  resource     jsonb NOT NULL,
  -- When this version was stored (filed, or itself a correction), and when the next one replaced it.
  stored_at    timestamptz NOT NULL,
  replaced_at  timestamptz NOT NULL DEFAULT now(),
  -- Two filings replacing the same version cannot both succeed: the second conflicts here and is retried.
  PRIMARY KEY (record_table, id, version)
);
