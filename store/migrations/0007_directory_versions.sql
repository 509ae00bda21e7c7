-- Organizations and practitioners are replaced in place when saved again: keep a version and the time of the
-- last change, so the FHIR API can say which version it serves (meta.versionId, ETag, Last-Modified).
ALTER TABLE organizations ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE organizations ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE practitioners ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE practitioners ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
