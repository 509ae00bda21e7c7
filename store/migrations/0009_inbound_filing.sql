-- Filing inbound messages. A message (an HL7v3 ketenzorg transmission, a MEDLAB interchange) falls into parts,
-- one per patient it is about: the items of a ketenzorg message that describe one person, or one MEDLAB message.
-- Each part is filed, waits for staff to say whose it is (the matching queue), or is quarantined; a replay or a
-- staff decision files the parts that are not filed yet, never one twice. The records themselves carry the
-- message id (observations.message_id, …), so a part row holds only what became of it, not a copy of its data.

CREATE TABLE inbound_parts (
  id          uuid PRIMARY KEY,
  message_id  uuid NOT NULL REFERENCES inbound_messages (id),
  -- Which items or messages of the message make the part, as the filing code names them (stable across replays).
  part_key    text NOT NULL,
  -- The sender's own references of those items or messages (HL7v3 message ids, MEDLAB UNH references).
  refs        jsonb NOT NULL,
  status      text NOT NULL CHECK (status IN ('filed', 'waiting', 'quarantined')),
  patient_id  uuid REFERENCES patients (id),
  -- Who the part is about as the message describes it (names, birth date, sex, the sender's patient number):
  -- what staff see in the matching queue. The message's other content stays in the raw message only.
  subject     jsonb,
  -- Patients that could be this one, scored, when it waits: a person decides, nothing is filed under a guess.
  candidates  jsonb NOT NULL DEFAULT '[]',
  issues      jsonb NOT NULL DEFAULT '[]',
  records     integer NOT NULL DEFAULT 0,
  resolved_by text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, part_key),
  CHECK ((status = 'filed') = (patient_id IS NOT NULL))
);
CREATE INDEX inbound_parts_waiting ON inbound_parts (created_at, id) WHERE status = 'waiting';
CREATE INDEX inbound_parts_patient ON inbound_parts (patient_id) WHERE patient_id IS NOT NULL;

-- The admin list filters by sender as well as by status.
CREATE INDEX inbound_messages_sender ON inbound_messages (sender, received_at);
