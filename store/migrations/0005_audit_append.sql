-- Appending to the audit chain in one statement. The chain-head row is locked from this function's first line
-- until the statement commits, so the lock is held for one round trip instead of three, and appends from many
-- processes take their turns faster. The time is read after the lock is granted, so recorded_at never goes
-- backwards along the chain.
--
-- The link is the one audit/chain.ts defines (linkHash), word for word:
--   hash = hex(SHA-256(prev_hash || '\n' || seq || '\n' || recorded_at || '\n' || entry_digest))
-- where recorded_at is ISO 8601 in UTC to the millisecond (as JavaScript's toISOString writes it) and
-- entry_digest is the hex SHA-256 the caller computed, before the lock, over the search columns and the body.
-- `audit verify` recomputes both from the stored row, so this function is trusted with nothing.

CREATE FUNCTION audit_append(entries jsonb)
RETURNS TABLE (link_seq bigint, link_recorded_at text, link_prev_hash text, link_hash text)
LANGUAGE plpgsql AS $$
DECLARE
  first_seq bigint;
  head_seq  bigint;
  head_hash text;
  at        timestamptz;
  at_text   text;
  digest    text;
  prevs     text[] := '{}';
  hashes    text[] := '{}';
BEGIN
  SELECT h.seq, h.hash INTO first_seq, head_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
  head_seq := first_seq;
  at := date_trunc('milliseconds', clock_timestamp());
  at_text := to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  -- The links depend each on the one before, so they are made in a loop; the rows then go in as one set.
  FOR digest IN SELECT x.entry->>'digest' FROM jsonb_array_elements(entries) WITH ORDINALITY AS x(entry, n) ORDER BY x.n LOOP
    IF digest IS NULL OR digest !~ '^[0-9a-f]{64}$' THEN
      RAISE EXCEPTION 'audit_append: entry % has no SHA-256 digest', head_seq - first_seq + 1 USING ERRCODE = 'invalid_parameter_value';
    END IF;
    head_seq := head_seq + 1;
    prevs := prevs || head_hash;
    head_hash := encode(sha256(convert_to(head_hash || E'\n' || head_seq || E'\n' || at_text || E'\n' || digest, 'UTF8')), 'hex');
    hashes := hashes || head_hash;
  END LOOP;
  INSERT INTO audit_records (seq, recorded_at, prev_hash, hash, body, transaction, action, outcome, purpose, decision, actor_type,
                             user_id, organization_id, connection_id, actor_name, patient_ids, request_id)
  SELECT first_seq + x.n, at, prevs[x.n], hashes[x.n], x.entry->>'body', x.entry->>'transaction', x.entry->>'action',
         x.entry->>'outcome', x.entry->>'purpose', x.entry->>'decision', x.entry->>'actor_type', (x.entry->>'user_id')::uuid,
         (x.entry->>'organization_id')::uuid, (x.entry->>'connection_id')::uuid, x.entry->>'actor_name',
         ARRAY(SELECT jsonb_array_elements_text(x.entry->'patient_ids'))::uuid[], x.entry->>'request_id'
  FROM jsonb_array_elements(entries) WITH ORDINALITY AS x(entry, n);
  UPDATE audit_chain_head SET seq = head_seq, hash = head_hash WHERE id = 1;
  RETURN QUERY SELECT first_seq + n, at_text, prevs[n], hashes[n] FROM generate_subscripts(hashes, 1) AS n ORDER BY n;
END;
$$;

-- A record's search columns as text, exactly as audit/chain.ts columnsText writes them (JSON.stringify of the
-- array: no spaces, the same escapes as PostgreSQL's JSON output, lower-case UUIDs), and the entry digest over
-- them and the body. `audit verify` has the database compute the digests, so only 200 bytes a record cross the
-- wire, and recomputes every link itself; `audit verify --deep` computes the digests itself too.
CREATE FUNCTION audit_columns_text(r audit_records) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT '[' || concat_ws(',',
    coalesce(to_json(r.transaction)::text, 'null'), coalesce(to_json(r.action)::text, 'null'), coalesce(to_json(r.outcome)::text, 'null'),
    coalesce(to_json(r.purpose)::text, 'null'), coalesce(to_json(r.decision)::text, 'null'), coalesce(to_json(r.actor_type)::text, 'null'),
    coalesce(to_json(r.user_id)::text, 'null'), coalesce(to_json(r.organization_id)::text, 'null'),
    coalesce(to_json(r.connection_id)::text, 'null'), coalesce(to_json(r.actor_name)::text, 'null'),
    coalesce(array_to_json(r.patient_ids)::text, 'null'), coalesce(to_json(r.request_id)::text, 'null')) || ']'
$$;

CREATE FUNCTION audit_entry_digest(r audit_records) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(convert_to(audit_columns_text(r) || E'\n' || r.body, 'UTF8')), 'hex')
$$;
