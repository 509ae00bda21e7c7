-- XDS registry view of the documents (ITI-38). Each stored document is registered by a submission set of its own,
-- the way most sources submit (one document a submission); the set's identity is derived from the document's
-- entryUUID, so it is stable, needs no table of its own and can be looked up by either of its ids.
-- The derivation: SHA-256 of '<entryUUID>#submission-set'; its first 16 bytes as a UUID for the set's entryUUID,
-- and as a 2.25 OID (ITU-T X.667: the UUID read as an unsigned integer) for its uniqueId; a test states the same
-- derivation on its own and holds the two to each other on both engines.
CREATE FUNCTION crossgate_submission_set_uuid(entry_uuid text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN 'urn:uuid:' || substr(encode(sha256(convert_to(entry_uuid || '#submission-set', 'UTF8')), 'hex'), 1, 32)::uuid::text;

CREATE FUNCTION crossgate_uuid_oid(u text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN '2.25.' || (
    SELECT sum(get_byte(decode(replace(replace(u, 'urn:uuid:', ''), '-', ''), 'hex'), i)::numeric * (256::numeric ^ (15 - i)))::numeric(40, 0)::text
    FROM generate_series(0, 15) AS i
  );

ALTER TABLE documents ADD COLUMN submission_set_uuid text GENERATED ALWAYS AS (crossgate_submission_set_uuid(entry_uuid)) STORED;
ALTER TABLE documents ADD COLUMN submission_set_unique_id text GENERATED ALWAYS AS (crossgate_uuid_oid(crossgate_submission_set_uuid(entry_uuid))) STORED;
CREATE UNIQUE INDEX documents_submission_set_uuid ON documents (submission_set_uuid);
CREATE UNIQUE INDEX documents_submission_set_unique_id ON documents (submission_set_unique_id);

-- FindDocuments filters on the service stop time too; partial dates count from their first instant, as the other
-- time columns do (canonical startInstant).
ALTER TABLE documents ADD COLUMN service_stop_time timestamptz;
UPDATE documents SET service_stop_time = (CASE
    WHEN resource->>'serviceStopTime' ~ '^\d{4}$' THEN resource->>'serviceStopTime' || '-01-01T00:00:00Z'
    WHEN resource->>'serviceStopTime' ~ '^\d{4}-\d{2}$' THEN resource->>'serviceStopTime' || '-01T00:00:00Z'
    WHEN resource->>'serviceStopTime' ~ '^\d{4}-\d{2}-\d{2}$' THEN resource->>'serviceStopTime' || 'T00:00:00Z'
    ELSE resource->>'serviceStopTime' END)::timestamptz
  WHERE resource ? 'serviceStopTime';
