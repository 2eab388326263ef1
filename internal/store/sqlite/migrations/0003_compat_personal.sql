-- Sessions made through the Matrix legacy login API (or imported from
-- Synapse) and personal access token sessions. Times are INTEGER
-- microseconds since the Unix epoch (UTC); IDs are 26-character ULID text;
-- booleans are INTEGER 0/1; hashes are BLOBs.

CREATE TABLE compat_sessions (
    compat_session_id TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    -- NULL for deviceless access tokens imported from Synapse.
    device_id         TEXT,
    -- The browser session an SSO login came from. Cleaning up old browser
    -- sessions must not take the Matrix sessions they started with them.
    user_session_id   TEXT REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    is_synapse_admin  INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    user_agent        TEXT,
    last_active_at    INTEGER,
    last_active_ip    TEXT,
    human_name        TEXT
);
-- Serves ListActiveForDevice (all three columns) and the per-user active
-- listing and count (prefix plus finished_at).
CREATE INDEX compat_sessions_user_device_active ON compat_sessions (user_id, device_id, finished_at);
CREATE INDEX compat_sessions_user_session ON compat_sessions (user_session_id);

CREATE TABLE compat_access_tokens (
    compat_access_token_id TEXT PRIMARY KEY,
    compat_session_id      TEXT NOT NULL REFERENCES compat_sessions (compat_session_id) ON DELETE CASCADE,
    access_token           TEXT NOT NULL,
    created_at             INTEGER NOT NULL,
    expires_at             INTEGER
);
CREATE UNIQUE INDEX compat_access_tokens_token ON compat_access_tokens (access_token);
CREATE INDEX compat_access_tokens_session ON compat_access_tokens (compat_session_id);

CREATE TABLE compat_refresh_tokens (
    compat_refresh_token_id TEXT PRIMARY KEY,
    compat_session_id       TEXT NOT NULL REFERENCES compat_sessions (compat_session_id) ON DELETE CASCADE,
    compat_access_token_id  TEXT NOT NULL REFERENCES compat_access_tokens (compat_access_token_id) ON DELETE CASCADE,
    refresh_token           TEXT NOT NULL,
    created_at              INTEGER NOT NULL,
    consumed_at             INTEGER
);
CREATE UNIQUE INDEX compat_refresh_tokens_token ON compat_refresh_tokens (refresh_token);
CREATE INDEX compat_refresh_tokens_session ON compat_refresh_tokens (compat_session_id);
CREATE INDEX compat_refresh_tokens_access_token ON compat_refresh_tokens (compat_access_token_id);

CREATE TABLE compat_sso_logins (
    compat_sso_login_id TEXT PRIMARY KEY,
    redirect_uri        TEXT NOT NULL,
    login_token         TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    fulfilled_at        INTEGER,
    exchanged_at        INTEGER,
    user_session_id     TEXT REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    compat_session_id   TEXT REFERENCES compat_sessions (compat_session_id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX compat_sso_logins_token ON compat_sso_logins (login_token);
CREATE INDEX compat_sso_logins_user_session ON compat_sso_logins (user_session_id);
CREATE INDEX compat_sso_logins_compat_session ON compat_sso_logins (compat_session_id);

CREATE TABLE personal_sessions (
    personal_session_id    TEXT PRIMARY KEY,
    owner_user_id          TEXT REFERENCES users (user_id) ON DELETE CASCADE,
    owner_oauth2_client_id TEXT REFERENCES oauth2_clients (oauth2_client_id) ON DELETE CASCADE,
    actor_user_id          TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    human_name             TEXT,
    -- Space-separated, as OAuth writes scopes on the wire.
    scope_list             TEXT NOT NULL,
    created_at             INTEGER NOT NULL,
    revoked_at             INTEGER,
    last_active_at         INTEGER,
    last_active_ip         TEXT,
    CHECK ((owner_user_id IS NULL) <> (owner_oauth2_client_id IS NULL))
);
CREATE INDEX personal_sessions_actor_active ON personal_sessions (actor_user_id, revoked_at);
CREATE INDEX personal_sessions_owner_user ON personal_sessions (owner_user_id);
CREATE INDEX personal_sessions_owner_client ON personal_sessions (owner_oauth2_client_id);

CREATE TABLE personal_access_tokens (
    personal_access_token_id TEXT PRIMARY KEY,
    personal_session_id      TEXT NOT NULL REFERENCES personal_sessions (personal_session_id) ON DELETE CASCADE,
    -- Only the SHA-256 of the mpt_ token is kept.
    access_token_sha256      BLOB NOT NULL,
    created_at               INTEGER NOT NULL,
    expires_at               INTEGER,
    revoked_at               INTEGER
);
CREATE UNIQUE INDEX personal_access_tokens_sha256 ON personal_access_tokens (access_token_sha256);
-- A session has at most one usable token: regenerating revokes the old one.
CREATE UNIQUE INDEX personal_access_tokens_one_active ON personal_access_tokens (personal_session_id)
    WHERE revoked_at IS NULL;
CREATE INDEX personal_access_tokens_session ON personal_access_tokens (personal_session_id);
