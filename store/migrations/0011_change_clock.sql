-- Changes that every gateway process caches (consent policy, partner credentials and connections) move one
-- counter forward in their own transaction and are announced with it on one channel, `<scope>@<counter>`. A
-- process that reads the counter after a request arrived knows whether every change committed by then has reached
-- its caches (the announcements carry the counter): if not, it asks the database instead, so a committed
-- revocation (of a consent, a credential, a connection) is never answered from a stale cache, even in the moment
-- before its announcement arrives.
CREATE TABLE change_clock (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version  bigint NOT NULL
);
INSERT INTO change_clock (only_row, version) VALUES (true, 0);

CREATE FUNCTION crossgate_announce(changed text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  clock bigint;
BEGIN
  UPDATE change_clock SET version = version + 1 RETURNING version INTO clock;
  PERFORM pg_notify('crossgate_changes', changed || '@' || clock);
  RETURN clock;
END $$;

-- Only what authentication decides on: a connection's status, kind or organization, any credential change, an
-- organization's home community id. Counting failed sign-ins and re-saving an unchanged organization announce nothing.
CREATE FUNCTION crossgate_partners_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM crossgate_announce('partners:*');
  RETURN NULL;
END $$;

CREATE TRIGGER connection_credentials_changed AFTER INSERT OR UPDATE OR DELETE ON connection_credentials
  FOR EACH ROW EXECUTE FUNCTION crossgate_partners_changed();
CREATE TRIGGER connections_changed AFTER UPDATE ON connections
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
  EXECUTE FUNCTION crossgate_partners_changed();
CREATE TRIGGER connections_removed AFTER DELETE ON connections FOR EACH ROW EXECUTE FUNCTION crossgate_partners_changed();
CREATE TRIGGER organizations_changed AFTER UPDATE ON organizations
  FOR EACH ROW WHEN (OLD.home_community_id IS DISTINCT FROM NEW.home_community_id)
  EXECUTE FUNCTION crossgate_partners_changed();
CREATE TRIGGER organizations_removed AFTER DELETE ON organizations FOR EACH ROW EXECUTE FUNCTION crossgate_partners_changed();
