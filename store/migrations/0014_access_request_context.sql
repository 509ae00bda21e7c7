-- What the partner asked when a request was held (kept from its latest asking), so an administrator deciding it
-- can tell a request about one patient from a search that swept up many: the action (e.g. Patient?family), how
-- many patients that one request concerned, and its request id, which finds the exchange on the audit trail.
ALTER TABLE access_requests ADD COLUMN last_action text;
ALTER TABLE access_requests ADD COLUMN last_patients_in_request integer;
ALTER TABLE access_requests ADD COLUMN last_request_id text;
