-- Client assertion identifiers (the `jti` of client_secret_jwt and
-- private_key_jwt assertions) already accepted, so that an assertion is
-- accepted once even when several replicas share the database: the
-- primary key turns a concurrent replay into a conflict. Rows are useless
-- once the assertion has expired and can be deleted.

CREATE TABLE oauth2_client_assertions (
    oauth2_client_id TEXT NOT NULL REFERENCES oauth2_clients (oauth2_client_id) ON DELETE CASCADE,
    jti              TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (oauth2_client_id, jti)
);
CREATE INDEX oauth2_client_assertions_expires ON oauth2_client_assertions (expires_at);
