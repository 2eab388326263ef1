-- The tables of upstream MAS (the Rust service) that `mas-cli database
-- import-upstream` reads, as upstream's migrations leave them (release
-- 1.22), with the objects around them that an in-place import must move
-- aside and a rollback must bring back: the sqlx ledger, the job queue's
-- enum, table and notify trigger, a trigger function on
-- user_session_authentications, and pg_trgm's index when the server has the
-- extension.
--
-- Written for this project from the documented shape of upstream's schema
-- (table and column names, types, nullability, keys); it is not upstream's
-- migration files. IDs are ULIDs stored as UUIDs, lists are arrays, JSON is
-- JSONB and addresses are INET, as upstream stores them.

CREATE TABLE _sqlx_migrations (
    version        BIGINT PRIMARY KEY,
    description    TEXT NOT NULL,
    installed_on   TIMESTAMPTZ NOT NULL DEFAULT now(),
    success        BOOLEAN NOT NULL,
    checksum       BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm not installed: %', SQLERRM;
END
$$;

CREATE TABLE users (
    user_id           UUID NOT NULL PRIMARY KEY,
    username          TEXT NOT NULL UNIQUE,
    created_at        TIMESTAMPTZ NOT NULL,
    locked_at         TIMESTAMPTZ,
    deactivated_at    TIMESTAMPTZ,
    can_request_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_guest          BOOLEAN NOT NULL DEFAULT FALSE
);
-- Lookups are case-insensitive, but uniqueness is not.
CREATE INDEX users_lower_username_idx ON users (lower(username));

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX users_username_trgm_idx ON users USING gin (username gin_trgm_ops)';
    END IF;
END
$$;

CREATE TABLE user_passwords (
    user_password_id UUID NOT NULL PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    hashed_password  TEXT NOT NULL,
    version          INTEGER NOT NULL,
    upgraded_from_id UUID REFERENCES user_passwords (user_password_id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX user_passwords_user_id_fk ON user_passwords (user_id);

-- Every stored address is confirmed. Nothing makes addresses unique.
CREATE TABLE user_emails (
    user_email_id UUID NOT NULL PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX user_emails_user_id_fk ON user_emails (user_id);
CREATE INDEX user_emails_lower_email_idx ON user_emails (lower(email));

CREATE TABLE user_unsupported_third_party_ids (
    user_id    UUID NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    medium     TEXT NOT NULL,
    address    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, medium, address)
);

CREATE TABLE user_sessions (
    user_session_id UUID NOT NULL PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (user_id),
    created_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    user_agent      TEXT,
    last_active_at  TIMESTAMPTZ,
    last_active_ip  INET
);
CREATE INDEX user_sessions_user_id_fk ON user_sessions (user_id);

CREATE TABLE upstream_oauth_providers (
    upstream_oauth_provider_id       UUID NOT NULL PRIMARY KEY,
    issuer                           TEXT,
    human_name                       TEXT,
    brand_name                       TEXT,
    scope                            TEXT NOT NULL,
    client_id                        TEXT NOT NULL,
    encrypted_client_secret          TEXT,
    token_endpoint_signing_alg       TEXT,
    token_endpoint_auth_method       TEXT NOT NULL,
    id_token_signed_response_alg     TEXT NOT NULL DEFAULT 'RS256',
    fetch_userinfo                   BOOLEAN NOT NULL DEFAULT FALSE,
    userinfo_signed_response_alg     TEXT,
    created_at                       TIMESTAMPTZ NOT NULL,
    disabled_at                      TIMESTAMPTZ,
    claims_imports                   JSONB NOT NULL DEFAULT '{}',
    jwks_uri_override                TEXT,
    authorization_endpoint_override  TEXT,
    token_endpoint_override          TEXT,
    userinfo_endpoint_override       TEXT,
    discovery_mode                   TEXT NOT NULL DEFAULT 'oidc',
    pkce_mode                        TEXT NOT NULL DEFAULT 'auto',
    response_mode                    TEXT,
    additional_parameters            JSONB,
    forward_login_hint               BOOLEAN NOT NULL DEFAULT FALSE,
    on_backchannel_logout            TEXT NOT NULL DEFAULT 'do_nothing',
    registration_token_required      BOOLEAN NOT NULL DEFAULT FALSE,
    ui_order                         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE upstream_oauth_links (
    upstream_oauth_link_id     UUID NOT NULL PRIMARY KEY,
    upstream_oauth_provider_id UUID NOT NULL REFERENCES upstream_oauth_providers (upstream_oauth_provider_id) ON DELETE CASCADE,
    user_id                    UUID REFERENCES users (user_id) ON DELETE CASCADE,
    subject                    TEXT NOT NULL,
    human_account_name         TEXT,
    created_at                 TIMESTAMPTZ NOT NULL,
    UNIQUE (upstream_oauth_provider_id, subject)
);
CREATE INDEX upstream_oauth_links_user_fk ON upstream_oauth_links (user_id);

CREATE TABLE upstream_oauth_authorization_sessions (
    upstream_oauth_authorization_session_id UUID NOT NULL PRIMARY KEY,
    upstream_oauth_provider_id UUID NOT NULL REFERENCES upstream_oauth_providers (upstream_oauth_provider_id) ON DELETE CASCADE,
    upstream_oauth_link_id     UUID REFERENCES upstream_oauth_links (upstream_oauth_link_id) ON DELETE SET NULL,
    user_session_id            UUID REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    state                      TEXT NOT NULL UNIQUE,
    code_verifier              TEXT,
    nonce                      TEXT,
    id_token                   TEXT,
    id_token_claims            JSONB,
    userinfo                   JSONB,
    extra_callback_parameters  JSONB,
    created_at                 TIMESTAMPTZ NOT NULL,
    completed_at               TIMESTAMPTZ,
    consumed_at                TIMESTAMPTZ,
    unlinked_at                TIMESTAMPTZ
);
CREATE INDEX upstream_oauth_authorization_sessions_sub_sid_idx ON upstream_oauth_authorization_sessions
    (upstream_oauth_provider_id, (id_token_claims ->> 'sub'), (id_token_claims ->> 'sid'));

-- No rule says which of the two is set: upstream's passkey logins (a
-- column left out here) set neither.
CREATE TABLE user_session_authentications (
    user_session_authentication_id          UUID NOT NULL PRIMARY KEY,
    user_session_id                         UUID NOT NULL REFERENCES user_sessions (user_session_id) ON DELETE CASCADE,
    created_at                              TIMESTAMPTZ NOT NULL,
    user_password_id                        UUID REFERENCES user_passwords (user_password_id) ON DELETE SET NULL,
    upstream_oauth_authorization_session_id UUID
        REFERENCES upstream_oauth_authorization_sessions (upstream_oauth_authorization_session_id) ON DELETE SET NULL
);

-- An authentication through an upstream provider ties the login attempt
-- to the browser session it opened.
CREATE FUNCTION fill_upstream_oauth_session_user_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.upstream_oauth_authorization_session_id IS NOT NULL THEN
        UPDATE upstream_oauth_authorization_sessions
           SET user_session_id = NEW.user_session_id
         WHERE upstream_oauth_authorization_session_id = NEW.upstream_oauth_authorization_session_id
           AND user_session_id IS NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER user_session_authentications_fill_upstream_session
    AFTER INSERT ON user_session_authentications
    FOR EACH ROW EXECUTE FUNCTION fill_upstream_oauth_session_user_session();

CREATE TABLE oauth2_clients (
    oauth2_client_id                UUID NOT NULL PRIMARY KEY,
    encrypted_client_secret         TEXT,
    redirect_uris                   TEXT[] NOT NULL DEFAULT '{}',
    grant_type_authorization_code   BOOLEAN NOT NULL DEFAULT FALSE,
    grant_type_refresh_token        BOOLEAN NOT NULL DEFAULT FALSE,
    grant_type_client_credentials   BOOLEAN NOT NULL DEFAULT FALSE,
    grant_type_device_code          BOOLEAN NOT NULL DEFAULT FALSE,
    client_name                     TEXT,
    logo_uri                        TEXT,
    client_uri                      TEXT,
    policy_uri                      TEXT,
    tos_uri                         TEXT,
    jwks                            JSONB,
    jwks_uri                        TEXT,
    id_token_signed_response_alg    TEXT,
    userinfo_signed_response_alg    TEXT,
    token_endpoint_auth_method      TEXT,
    token_endpoint_auth_signing_alg TEXT,
    initiate_login_uri              TEXT,
    application_type                TEXT,
    contacts                        TEXT[] NOT NULL DEFAULT '{}',
    is_static                       BOOLEAN NOT NULL DEFAULT FALSE,
    metadata_digest                 TEXT UNIQUE
);

CREATE TABLE oauth2_sessions (
    oauth2_session_id UUID NOT NULL PRIMARY KEY,
    user_session_id   UUID REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    oauth2_client_id  UUID NOT NULL REFERENCES oauth2_clients (oauth2_client_id),
    user_id           UUID REFERENCES users (user_id),
    scope_list        TEXT[] NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    user_agent        TEXT,
    last_active_at    TIMESTAMPTZ,
    last_active_ip    INET,
    human_name        TEXT
);
CREATE INDEX oauth2_sessions_user_fk ON oauth2_sessions (user_id);
CREATE INDEX oauth2_sessions_client_fk ON oauth2_sessions (oauth2_client_id);

CREATE TABLE oauth2_access_tokens (
    oauth2_access_token_id UUID NOT NULL PRIMARY KEY,
    oauth2_session_id      UUID NOT NULL REFERENCES oauth2_sessions (oauth2_session_id) ON DELETE CASCADE,
    access_token           TEXT NOT NULL UNIQUE,
    expires_at             TIMESTAMPTZ,
    revoked_at             TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL,
    first_used_at          TIMESTAMPTZ
);
CREATE INDEX oauth2_access_tokens_session_fk ON oauth2_access_tokens (oauth2_session_id);

CREATE TABLE oauth2_refresh_tokens (
    oauth2_refresh_token_id      UUID NOT NULL PRIMARY KEY,
    oauth2_session_id            UUID NOT NULL REFERENCES oauth2_sessions (oauth2_session_id) ON DELETE CASCADE,
    oauth2_access_token_id       UUID REFERENCES oauth2_access_tokens (oauth2_access_token_id) ON DELETE SET NULL,
    refresh_token                TEXT NOT NULL UNIQUE,
    next_oauth2_refresh_token_id UUID REFERENCES oauth2_refresh_tokens (oauth2_refresh_token_id),
    created_at                   TIMESTAMPTZ NOT NULL,
    consumed_at                  TIMESTAMPTZ,
    revoked_at                   TIMESTAMPTZ
);
CREATE INDEX oauth2_refresh_tokens_session_fk ON oauth2_refresh_tokens (oauth2_session_id);

-- device_id is NULL for the deviceless access tokens syn2mas brings over.
CREATE TABLE compat_sessions (
    compat_session_id UUID NOT NULL PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES users (user_id),
    device_id         TEXT,
    user_session_id   UUID REFERENCES user_sessions (user_session_id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    is_synapse_admin  BOOLEAN NOT NULL DEFAULT FALSE,
    last_active_at    TIMESTAMPTZ,
    last_active_ip    INET,
    user_agent        TEXT,
    human_name        TEXT
);
CREATE INDEX compat_sessions_user_fk ON compat_sessions (user_id);

CREATE TABLE compat_access_tokens (
    compat_access_token_id UUID NOT NULL PRIMARY KEY,
    compat_session_id      UUID NOT NULL REFERENCES compat_sessions (compat_session_id) ON DELETE CASCADE,
    access_token           TEXT NOT NULL UNIQUE,
    created_at             TIMESTAMPTZ NOT NULL,
    expires_at             TIMESTAMPTZ
);

CREATE TABLE compat_refresh_tokens (
    compat_refresh_token_id UUID NOT NULL PRIMARY KEY,
    compat_session_id       UUID NOT NULL REFERENCES compat_sessions (compat_session_id) ON DELETE CASCADE,
    compat_access_token_id  UUID NOT NULL REFERENCES compat_access_tokens (compat_access_token_id) ON DELETE CASCADE,
    refresh_token           TEXT NOT NULL UNIQUE,
    created_at              TIMESTAMPTZ NOT NULL,
    consumed_at             TIMESTAMPTZ
);

CREATE TABLE personal_sessions (
    personal_session_id    UUID NOT NULL PRIMARY KEY,
    owner_user_id          UUID REFERENCES users (user_id),
    owner_oauth2_client_id UUID REFERENCES oauth2_clients (oauth2_client_id) ON DELETE CASCADE,
    actor_user_id          UUID NOT NULL REFERENCES users (user_id),
    human_name             TEXT NOT NULL,
    scope_list             TEXT[] NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    revoked_at             TIMESTAMPTZ,
    last_active_at         TIMESTAMPTZ,
    last_active_ip         INET,
    CONSTRAINT personal_sessions_one_owner CHECK ((owner_user_id IS NULL) <> (owner_oauth2_client_id IS NULL))
);

-- Only the SHA-256 of an mpt_ token is stored.
CREATE TABLE personal_access_tokens (
    personal_access_token_id UUID NOT NULL PRIMARY KEY,
    personal_session_id      UUID NOT NULL REFERENCES personal_sessions (personal_session_id) ON DELETE CASCADE,
    access_token_sha256      BYTEA NOT NULL UNIQUE,
    created_at               TIMESTAMPTZ NOT NULL,
    expires_at               TIMESTAMPTZ,
    revoked_at               TIMESTAMPTZ
);
CREATE UNIQUE INDEX personal_access_tokens_one_active ON personal_access_tokens (personal_session_id)
    WHERE revoked_at IS NULL;

CREATE TABLE user_registration_tokens (
    user_registration_token_id UUID NOT NULL PRIMARY KEY,
    token                      TEXT NOT NULL UNIQUE,
    usage_limit                INTEGER,
    times_used                 INTEGER NOT NULL DEFAULT 0,
    created_at                 TIMESTAMPTZ NOT NULL,
    last_used_at               TIMESTAMPTZ,
    expires_at                 TIMESTAMPTZ,
    revoked_at                 TIMESTAMPTZ
);

CREATE TABLE policy_data (
    policy_data_id UUID NOT NULL PRIMARY KEY,
    created_at     TIMESTAMPTZ NOT NULL,
    data           JSONB NOT NULL
);

-- The job queue is not imported (this service has its own), but it is part
-- of what an in-place import moves aside.
CREATE TYPE queue_job_status AS ENUM ('available', 'running', 'completed', 'lost', 'failed', 'scheduled');

CREATE TABLE queue_jobs (
    queue_job_id    UUID NOT NULL PRIMARY KEY,
    queue_name      TEXT NOT NULL,
    payload         JSONB NOT NULL DEFAULT '{}',
    metadata        JSONB NOT NULL DEFAULT '{}',
    status          queue_job_status NOT NULL DEFAULT 'available',
    attempt         INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    scheduled_at    TIMESTAMPTZ,
    started_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    failed_reason   TEXT,
    next_attempt_id UUID REFERENCES queue_jobs (queue_job_id),
    schedule_name   TEXT
);
CREATE INDEX queue_jobs_available_idx ON queue_jobs (queue_name, queue_job_id) WHERE status = 'available';

CREATE FUNCTION queue_job_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('queue_available', jsonb_build_object('queue', NEW.queue_name)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER queue_job_notify_trigger
    AFTER INSERT OR UPDATE OF status ON queue_jobs
    FOR EACH ROW WHEN (NEW.status = 'available')
    EXECUTE FUNCTION queue_job_notify();
