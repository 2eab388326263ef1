-- OAuth 2.0 clients, grants, sessions and tokens. Times are INTEGER
-- microseconds since the Unix epoch (UTC), booleans INTEGER 0/1, IDs
-- 26-character ULID text. Scopes are space-separated text; other lists are
-- JSON arrays.
--
-- Deleting a client removes everything issued to it; deleting a user
-- removes that user's sessions and tokens. A browser session going away
-- only unlinks the grants and OAuth sessions that started in it.
CREATE TABLE oauth2_clients (
    oauth2_client_id                TEXT PRIMARY KEY,
    encrypted_client_secret         TEXT,
    redirect_uris                   TEXT NOT NULL DEFAULT '[]',
    grant_type_authorization_code   INTEGER NOT NULL DEFAULT 0,
    grant_type_refresh_token        INTEGER NOT NULL DEFAULT 0,
    grant_type_client_credentials   INTEGER NOT NULL DEFAULT 0,
    grant_type_device_code          INTEGER NOT NULL DEFAULT 0,
    client_name                     TEXT,
    logo_uri                        TEXT,
    client_uri                      TEXT,
    policy_uri                      TEXT,
    tos_uri                         TEXT,
    jwks                            TEXT,
    jwks_uri                        TEXT,
    id_token_signed_response_alg    TEXT,
    userinfo_signed_response_alg    TEXT,
    token_endpoint_auth_method      TEXT,
    token_endpoint_auth_signing_alg TEXT,
    initiate_login_uri              TEXT,
    application_type                TEXT,
    contacts                        TEXT NOT NULL DEFAULT '[]',
    is_static                       INTEGER NOT NULL DEFAULT 0,
    metadata_digest                 TEXT,
    created_at                      INTEGER NOT NULL
);
CREATE UNIQUE INDEX oauth2_clients_metadata_digest ON oauth2_clients (metadata_digest);
CREATE INDEX oauth2_clients_static ON oauth2_clients (is_static);

CREATE TABLE oauth2_sessions (
    oauth2_session_id TEXT PRIMARY KEY,
    oauth2_client_id  TEXT NOT NULL REFERENCES oauth2_clients (oauth2_client_id) ON DELETE CASCADE,
    user_id           TEXT REFERENCES users (user_id) ON DELETE CASCADE,
    user_session_id   TEXT REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    scope_list        TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    user_agent        TEXT,
    last_active_at    INTEGER,
    last_active_ip    TEXT,
    human_name        TEXT
);
CREATE INDEX oauth2_sessions_user_active ON oauth2_sessions (user_id, finished_at);
CREATE INDEX oauth2_sessions_client ON oauth2_sessions (oauth2_client_id);
CREATE INDEX oauth2_sessions_user_session ON oauth2_sessions (user_session_id);

CREATE TABLE oauth2_authorization_grants (
    oauth2_authorization_grant_id TEXT PRIMARY KEY,
    oauth2_client_id              TEXT NOT NULL REFERENCES oauth2_clients (oauth2_client_id) ON DELETE CASCADE,
    redirect_uri                  TEXT NOT NULL,
    scope                         TEXT NOT NULL,
    state                         TEXT,
    nonce                         TEXT,
    response_mode                 TEXT NOT NULL,
    response_type_code            INTEGER NOT NULL,
    response_type_id_token        INTEGER NOT NULL,
    authorization_code            TEXT,
    code_challenge                TEXT,
    code_challenge_method         TEXT,
    login_hint                    TEXT,
    locale                        TEXT,
    raw_parameters                TEXT,
    created_at                    INTEGER NOT NULL,
    fulfilled_at                  INTEGER,
    exchanged_at                  INTEGER,
    cancelled_at                  INTEGER,
    user_session_id               TEXT REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    oauth2_session_id             TEXT REFERENCES oauth2_sessions (oauth2_session_id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX oauth2_authorization_grants_code ON oauth2_authorization_grants (authorization_code);
CREATE INDEX oauth2_authorization_grants_client ON oauth2_authorization_grants (oauth2_client_id);
CREATE INDEX oauth2_authorization_grants_user_session ON oauth2_authorization_grants (user_session_id);
CREATE INDEX oauth2_authorization_grants_session ON oauth2_authorization_grants (oauth2_session_id);

CREATE TABLE oauth2_device_code_grants (
    oauth2_device_code_grant_id TEXT PRIMARY KEY,
    oauth2_client_id            TEXT NOT NULL REFERENCES oauth2_clients (oauth2_client_id) ON DELETE CASCADE,
    scope                       TEXT NOT NULL,
    user_code                   TEXT NOT NULL,
    device_code                 TEXT NOT NULL,
    created_at                  INTEGER NOT NULL,
    expires_at                  INTEGER NOT NULL,
    fulfilled_at                INTEGER,
    rejected_at                 INTEGER,
    exchanged_at                INTEGER,
    user_session_id             TEXT REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    oauth2_session_id           TEXT REFERENCES oauth2_sessions (oauth2_session_id) ON DELETE SET NULL,
    ip_address                  TEXT,
    user_agent                  TEXT,
    locale                      TEXT
);
CREATE UNIQUE INDEX oauth2_device_code_grants_user_code ON oauth2_device_code_grants (user_code);
CREATE UNIQUE INDEX oauth2_device_code_grants_device_code ON oauth2_device_code_grants (device_code);
CREATE INDEX oauth2_device_code_grants_client ON oauth2_device_code_grants (oauth2_client_id);
CREATE INDEX oauth2_device_code_grants_user_session ON oauth2_device_code_grants (user_session_id);
CREATE INDEX oauth2_device_code_grants_session ON oauth2_device_code_grants (oauth2_session_id);

CREATE TABLE oauth2_access_tokens (
    oauth2_access_token_id TEXT PRIMARY KEY,
    oauth2_session_id      TEXT NOT NULL REFERENCES oauth2_sessions (oauth2_session_id) ON DELETE CASCADE,
    access_token           TEXT NOT NULL,
    created_at             INTEGER NOT NULL,
    expires_at             INTEGER,
    revoked_at             INTEGER,
    first_used_at          INTEGER
);
CREATE UNIQUE INDEX oauth2_access_tokens_token ON oauth2_access_tokens (access_token);
CREATE INDEX oauth2_access_tokens_session ON oauth2_access_tokens (oauth2_session_id);

CREATE TABLE oauth2_refresh_tokens (
    oauth2_refresh_token_id      TEXT PRIMARY KEY,
    oauth2_session_id            TEXT NOT NULL REFERENCES oauth2_sessions (oauth2_session_id) ON DELETE CASCADE,
    oauth2_access_token_id       TEXT REFERENCES oauth2_access_tokens (oauth2_access_token_id) ON DELETE SET NULL,
    refresh_token                TEXT NOT NULL,
    created_at                   INTEGER NOT NULL,
    consumed_at                  INTEGER,
    revoked_at                   INTEGER,
    next_oauth2_refresh_token_id TEXT REFERENCES oauth2_refresh_tokens (oauth2_refresh_token_id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX oauth2_refresh_tokens_token ON oauth2_refresh_tokens (refresh_token);
CREATE INDEX oauth2_refresh_tokens_session ON oauth2_refresh_tokens (oauth2_session_id);
CREATE INDEX oauth2_refresh_tokens_access_token ON oauth2_refresh_tokens (oauth2_access_token_id);
CREATE INDEX oauth2_refresh_tokens_next ON oauth2_refresh_tokens (next_oauth2_refresh_token_id);
