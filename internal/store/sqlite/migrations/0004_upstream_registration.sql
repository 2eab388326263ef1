-- Upstream OAuth providers, links and login attempts; how browser sessions
-- were authenticated; registrations, registration tokens, email
-- verification, password recovery and the dynamic policy data. Times are
-- INTEGER microseconds since the Unix epoch (UTC); IDs are ULID text. JSON
-- columns are TEXT checked with json_valid, so that both backends refuse
-- the same malformed documents.

CREATE TABLE upstream_oauth_providers (
    upstream_oauth_provider_id  TEXT PRIMARY KEY,
    issuer                      TEXT,
    human_name                  TEXT,
    brand_name                  TEXT,
    scope                       TEXT NOT NULL,
    client_id                   TEXT NOT NULL,
    encrypted_client_secret     TEXT,
    token_endpoint_auth_method  TEXT NOT NULL,
    settings                    TEXT CHECK (settings IS NULL OR json_valid(settings)),
    created_at                  INTEGER NOT NULL,
    disabled_at                 INTEGER,
    ui_order                    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE upstream_oauth_links (
    upstream_oauth_link_id      TEXT PRIMARY KEY,
    upstream_oauth_provider_id  TEXT NOT NULL
        REFERENCES upstream_oauth_providers (upstream_oauth_provider_id) ON DELETE CASCADE,
    subject                     TEXT NOT NULL,
    user_id                     TEXT REFERENCES users (user_id) ON DELETE CASCADE,
    human_account_name          TEXT,
    created_at                  INTEGER NOT NULL
);
CREATE UNIQUE INDEX upstream_oauth_links_subject ON upstream_oauth_links (upstream_oauth_provider_id, subject);
CREATE INDEX upstream_oauth_links_user ON upstream_oauth_links (user_id);

CREATE TABLE upstream_oauth_authorization_sessions (
    upstream_oauth_authorization_session_id TEXT PRIMARY KEY,
    upstream_oauth_provider_id  TEXT NOT NULL
        REFERENCES upstream_oauth_providers (upstream_oauth_provider_id) ON DELETE CASCADE,
    state                       TEXT NOT NULL,
    code_verifier               TEXT,
    nonce                       TEXT,
    id_token                    TEXT,
    id_token_claims             TEXT CHECK (id_token_claims IS NULL OR json_valid(id_token_claims)),
    userinfo                    TEXT CHECK (userinfo IS NULL OR json_valid(userinfo)),
    extra_callback_parameters   TEXT CHECK (extra_callback_parameters IS NULL OR json_valid(extra_callback_parameters)),
    -- Removing a link keeps the attempt as history and stamps unlinked_at.
    upstream_oauth_link_id      TEXT
        REFERENCES upstream_oauth_links (upstream_oauth_link_id) ON DELETE SET NULL,
    user_session_id             TEXT REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    post_auth_action            TEXT CHECK (post_auth_action IS NULL OR json_valid(post_auth_action)),
    created_at                  INTEGER NOT NULL,
    completed_at                INTEGER,
    consumed_at                 INTEGER,
    unlinked_at                 INTEGER
);
CREATE UNIQUE INDEX upstream_oauth_authorization_sessions_state ON upstream_oauth_authorization_sessions (state);
CREATE INDEX upstream_oauth_authorization_sessions_provider ON upstream_oauth_authorization_sessions (upstream_oauth_provider_id);
CREATE INDEX upstream_oauth_authorization_sessions_link ON upstream_oauth_authorization_sessions (upstream_oauth_link_id);
CREATE INDEX upstream_oauth_authorization_sessions_user_session ON upstream_oauth_authorization_sessions (user_session_id);

-- One row per proof of identity on a browser session: a password check or
-- an upstream login, exactly one of the two (deleting either cascades).
CREATE TABLE user_session_authentications (
    user_session_authentication_id TEXT PRIMARY KEY,
    user_session_id             TEXT NOT NULL REFERENCES user_sessions (user_session_id) ON DELETE CASCADE,
    created_at                  INTEGER NOT NULL,
    user_password_id            TEXT REFERENCES user_passwords (user_password_id) ON DELETE CASCADE,
    upstream_oauth_authorization_session_id TEXT
        REFERENCES upstream_oauth_authorization_sessions (upstream_oauth_authorization_session_id) ON DELETE CASCADE,
    CHECK ((user_password_id IS NULL) <> (upstream_oauth_authorization_session_id IS NULL))
);
CREATE INDEX user_session_authentications_session ON user_session_authentications (user_session_id, created_at);
CREATE INDEX user_session_authentications_password ON user_session_authentications (user_password_id);
CREATE INDEX user_session_authentications_upstream ON user_session_authentications (upstream_oauth_authorization_session_id);

CREATE TABLE user_registration_tokens (
    user_registration_token_id  TEXT PRIMARY KEY,
    token                       TEXT NOT NULL,
    usage_limit                 INTEGER,
    times_used                  INTEGER NOT NULL DEFAULT 0,
    created_at                  INTEGER NOT NULL,
    last_used_at                INTEGER,
    expires_at                  INTEGER,
    revoked_at                  INTEGER
);
CREATE UNIQUE INDEX user_registration_tokens_token ON user_registration_tokens (token);

-- user_registrations and user_email_authentications refer to each other;
-- SQLite resolves the forward reference when rows are written.
CREATE TABLE user_registrations (
    user_registration_id        TEXT PRIMARY KEY,
    username                    TEXT NOT NULL,
    display_name                TEXT,
    terms_url                   TEXT,
    email_authentication_id     TEXT
        REFERENCES user_email_authentications (user_email_authentication_id) ON DELETE SET NULL,
    hashed_password             TEXT,
    hashed_password_version     INTEGER,
    user_registration_token_id  TEXT
        REFERENCES user_registration_tokens (user_registration_token_id) ON DELETE SET NULL,
    upstream_oauth_authorization_session_id TEXT
        REFERENCES upstream_oauth_authorization_sessions (upstream_oauth_authorization_session_id) ON DELETE SET NULL,
    post_auth_action            TEXT CHECK (post_auth_action IS NULL OR json_valid(post_auth_action)),
    ip_address                  TEXT,
    user_agent                  TEXT,
    created_at                  INTEGER NOT NULL,
    completed_at                INTEGER
);
CREATE INDEX user_registrations_email_authentication ON user_registrations (email_authentication_id);
CREATE INDEX user_registrations_token ON user_registrations (user_registration_token_id);
CREATE INDEX user_registrations_upstream ON user_registrations (upstream_oauth_authorization_session_id);

CREATE TABLE user_email_authentications (
    user_email_authentication_id TEXT PRIMARY KEY,
    email                       TEXT NOT NULL,
    user_session_id             TEXT REFERENCES user_sessions (user_session_id) ON DELETE CASCADE,
    user_registration_id        TEXT REFERENCES user_registrations (user_registration_id) ON DELETE CASCADE,
    created_at                  INTEGER NOT NULL,
    completed_at                INTEGER,
    -- Exactly one owner: a browser session (adding an address) or a registration.
    CHECK ((user_session_id IS NULL) <> (user_registration_id IS NULL))
);
CREATE INDEX user_email_authentications_session ON user_email_authentications (user_session_id);
CREATE INDEX user_email_authentications_registration ON user_email_authentications (user_registration_id);

CREATE TABLE user_email_authentication_codes (
    user_email_authentication_code_id TEXT PRIMARY KEY,
    user_email_authentication_id TEXT NOT NULL
        REFERENCES user_email_authentications (user_email_authentication_id) ON DELETE CASCADE,
    code                        TEXT NOT NULL,
    created_at                  INTEGER NOT NULL,
    expires_at                  INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_email_authentication_codes_code ON user_email_authentication_codes (user_email_authentication_id, code);

CREATE TABLE user_recovery_sessions (
    user_recovery_session_id    TEXT PRIMARY KEY,
    email                       TEXT NOT NULL,
    user_agent                  TEXT,
    ip_address                  TEXT,
    locale                      TEXT,
    created_at                  INTEGER NOT NULL,
    consumed_at                 INTEGER
);

CREATE TABLE user_recovery_tickets (
    user_recovery_ticket_id     TEXT PRIMARY KEY,
    user_recovery_session_id    TEXT NOT NULL
        REFERENCES user_recovery_sessions (user_recovery_session_id) ON DELETE CASCADE,
    user_email_id               TEXT NOT NULL REFERENCES user_emails (user_email_id) ON DELETE CASCADE,
    ticket                      TEXT NOT NULL,
    created_at                  INTEGER NOT NULL,
    expires_at                  INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_recovery_tickets_ticket ON user_recovery_tickets (ticket);
CREATE INDEX user_recovery_tickets_session ON user_recovery_tickets (user_recovery_session_id);
CREATE INDEX user_recovery_tickets_email ON user_recovery_tickets (user_email_id);

CREATE TABLE policy_data (
    policy_data_id              TEXT PRIMARY KEY,
    data                        TEXT NOT NULL CHECK (json_valid(data)),
    created_at                  INTEGER NOT NULL
);
CREATE INDEX policy_data_created ON policy_data (created_at, policy_data_id);
