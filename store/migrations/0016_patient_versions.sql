-- A patient's record changes (demographics edited, an identifier linked, a merge), and the audit trail names the
-- version that left (`Patient/{id}/_history/{n}`): each replaced version is kept as it was, its identifiers
-- included, so a compliance officer or a partner can read what was handed out then. Versions replaced before this
-- table existed were not kept.
CREATE TABLE patient_versions (
  id          uuid NOT NULL REFERENCES patients (id),
  version     integer NOT NULL,
  -- The canonical patient of that version, with the identifiers linked to it then.
  resource    jsonb NOT NULL,
  stored_at   timestamptz NOT NULL,
  replaced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);
