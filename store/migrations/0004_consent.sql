-- Purpose-of-use consent: every version of the clinic defaults and of each patient's choice is kept (a change
-- adds a version; nothing is overwritten), and requests that were declined wait here for an admin's decision.

CREATE TABLE consent_clinic_defaults (
  version        integer PRIMARY KEY CHECK (version > 0),
  purposes       text[] NOT NULL,
  set_by         text NOT NULL,
  set_at         timestamptz NOT NULL DEFAULT now(),
  source_address text
);

-- purposes NULL: the patient withdrew their own choice, so the clinic defaults apply again.
CREATE TABLE consent_patient_choices (
  patient_id     uuid NOT NULL REFERENCES patients (id),
  version        integer NOT NULL CHECK (version > 0),
  purposes       text[],
  set_by         text NOT NULL,
  set_by_kind    text NOT NULL CHECK (set_by_kind IN ('staff', 'patient')),
  set_at         timestamptz NOT NULL DEFAULT now(),
  source_address text,
  PRIMARY KEY (patient_id, version)
);

CREATE TABLE access_requests (
  id                  uuid PRIMARY KEY,
  patient_id          uuid NOT NULL REFERENCES patients (id),
  organization_id     uuid NOT NULL REFERENCES organizations (id),
  connection_id       uuid,
  requester_person    text,
  purpose             text NOT NULL,
  surface             text NOT NULL,
  received_at         timestamptz NOT NULL DEFAULT now(),
  times_asked         integer NOT NULL DEFAULT 1,
  last_asked_at       timestamptz NOT NULL DEFAULT now(),
  status              text NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
  decided_by          text,
  decided_at          timestamptz,
  approval_expires_at timestamptz,
  CHECK ((status = 'approved') = (approval_expires_at IS NOT NULL))
);
-- One open request per patient, organization and purpose: asking again counts, it does not pile up.
CREATE UNIQUE INDEX access_requests_one_pending ON access_requests (patient_id, organization_id, purpose) WHERE status = 'pending';
CREATE INDEX access_requests_status ON access_requests (status, received_at);
CREATE INDEX access_requests_approved ON access_requests (patient_id, organization_id) WHERE status = 'approved';
