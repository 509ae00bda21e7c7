-- A counter every consent change moves forward in its own transaction, announced with it. A gateway process that
-- reads the counter after a request arrived knows whether every change committed by then has reached its cache
-- (its notifications carry the counter): if not, it decides from the database, so a committed revocation is
-- never answered from a stale cached permit, even in the moment before its notification arrives.
CREATE TABLE consent_clock (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version  bigint NOT NULL
);
INSERT INTO consent_clock (only_row, version) VALUES (true, 0);
