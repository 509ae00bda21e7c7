-- The ids (jti) of the client assertions partners presented at the token endpoint, kept until the assertion
-- expires: an assertion is good once, and every gateway process must see that it was used. A row whose
-- expires_at has passed no longer blocks its jti and is removed by whichever process comes by next.
CREATE TABLE oauth_used_assertions (
  client_id  uuid NOT NULL REFERENCES connections (id),
  jti        text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX oauth_used_assertions_expiry ON oauth_used_assertions (expires_at);
