-- The audit trail: append-only records in one hash chain. `body` is the canonical JSON that was hashed; the
-- columns beside it are copies for search, which `audit verify` checks against the body.

CREATE TABLE audit_chain_head (
  id   integer PRIMARY KEY CHECK (id = 1),
  seq  bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));

CREATE TABLE audit_records (
  seq             bigint PRIMARY KEY,
  recorded_at     timestamptz NOT NULL,
  prev_hash       text NOT NULL,
  hash            text NOT NULL,
  body            text NOT NULL,
  transaction     text NOT NULL,
  action          text NOT NULL,
  outcome         text NOT NULL,
  purpose         text,
  decision        text,
  actor_type      text NOT NULL,
  user_id         uuid,
  organization_id uuid,
  connection_id   uuid,
  actor_name      text,
  patient_ids     uuid[] NOT NULL DEFAULT '{}',
  request_id      text
);
CREATE INDEX audit_records_time ON audit_records (recorded_at);
CREATE INDEX audit_records_patients ON audit_records USING gin (patient_ids);
CREATE INDEX audit_records_organization ON audit_records (organization_id, seq) WHERE organization_id IS NOT NULL;
CREATE INDEX audit_records_user ON audit_records (user_id, seq) WHERE user_id IS NOT NULL;
CREATE INDEX audit_records_transaction ON audit_records (transaction, seq);
CREATE INDEX audit_records_actor_name ON audit_records (lower(actor_name), seq) WHERE actor_name IS NOT NULL;

-- Signed chain heads: proof, even against someone with database access, that nothing before them changed.
CREATE TABLE audit_checkpoints (
  seq         bigint PRIMARY KEY,
  hash        text NOT NULL,
  signed_at   timestamptz NOT NULL,
  key_id      text NOT NULL,
  signature   text NOT NULL
);

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only: % refused on %', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_records, audit_checkpoints FROM PUBLIC;
