-- A partner's FHIR access tokens are bound to the stretch of time its connection was active when they were issued:
-- each token carries the connection's token epoch, and the epoch moves on whenever the connection leaves active.
-- So a suspension (what an administrator does on a suspected compromise) ends every token issued before it for
-- good, not only until the connection is reactivated. Kept by a trigger, so that a status changed by hand in SQL
-- ends tokens just the same.
ALTER TABLE connections ADD COLUMN token_epoch integer NOT NULL DEFAULT 0;

CREATE FUNCTION crossgate_connection_left_active() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.token_epoch := OLD.token_epoch + 1;
  RETURN NEW;
END $$;

CREATE TRIGGER connection_left_active BEFORE UPDATE ON connections
  FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status <> 'active')
  EXECUTE FUNCTION crossgate_connection_left_active();
