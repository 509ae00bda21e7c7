-- Columns for FHIR search parameters that filter in SQL, so a filtered search pages by the same keyset as an
-- unfiltered one (dropping rows after LIMIT would leave pages short and the next link wrong). Values are copied
-- from each record's canonical form, as the other columns beside `resource` are. No new indexes: every one of these
-- filters narrows a single patient's rows, which the (patient_id, time) indexes already reach.

ALTER TABLE observations ADD COLUMN category text;
UPDATE observations SET category = resource->>'category';

-- Every coding as system|code, as observations.codes has it: a condition is found by any of its codings.
ALTER TABLE conditions ADD COLUMN codes text[];
-- A condition recorded in error has no clinical status (R4 con-5), so no clinical-status search may find it.
ALTER TABLE conditions ADD COLUMN clinical_status text;
UPDATE conditions SET
  codes = ARRAY(SELECT (c->>'system') || '|' || (c->>'code') FROM jsonb_array_elements(resource->'codings') AS c),
  clinical_status = CASE WHEN resource->>'verificationStatus' = 'entered-in-error' THEN NULL ELSE resource->>'clinicalStatus' END;
ALTER TABLE conditions ALTER COLUMN codes SET NOT NULL;

ALTER TABLE documents ADD COLUMN event_codes text[] NOT NULL DEFAULT '{}';
ALTER TABLE documents ADD COLUMN confidentiality_codes text[] NOT NULL DEFAULT '{}';
UPDATE documents SET
  event_codes = ARRAY(SELECT (c->>'system') || '|' || (c->>'code') FROM jsonb_array_elements(resource->'eventCodes') AS c),
  confidentiality_codes = ARRAY(SELECT (c->>'system') || '|' || (c->>'code') FROM jsonb_array_elements(resource->'confidentialityCodes') AS c);
