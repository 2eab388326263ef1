-- A small database shaped like one that upstream MAS (the Rust service) has
-- migrated: its sqlx ledger, a handful of its tables with a few rows, its
-- job-status enum and notify trigger, and pg_trgm when the server has it.
-- Written for the tests from the documented shape of upstream's schema; it
-- is not upstream's migrations and leaves most tables and columns out.

CREATE TABLE _sqlx_migrations (
    version        BIGINT PRIMARY KEY,
    description    TEXT NOT NULL,
    installed_on   TIMESTAMPTZ NOT NULL DEFAULT now(),
    success        BOOLEAN NOT NULL,
    checksum       BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);

-- sqlx stores the SHA-384 of each migration file; these hash the
-- description instead, which has the same shape.
INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
SELECT v, d, TIMESTAMPTZ '2025-03-01 10:00:00+00' + (n * INTERVAL '1 second'), TRUE,
       sha384(convert_to(d, 'UTF8')), 1500000 + n * 250000
FROM (VALUES
    (1, 20220530084123, 'jobs'),
    (2, 20220709210445, 'upstream oauth'),
    (3, 20221018142001, 'compat sessions'),
    (4, 20240207100003, 'user terms'),
    (5, 20241004075132, 'queue job'),
    (6, 20250312094013, 'user registrations')
) AS m (n, v, d);

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
    user_id          UUID NOT NULL REFERENCES users (user_id),
    hashed_password  TEXT NOT NULL,
    version          INTEGER NOT NULL,
    upgraded_from_id UUID REFERENCES user_passwords (user_password_id),
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_emails (
    user_email_id UUID NOT NULL PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX user_emails_lower_email_idx ON user_emails (lower(email));

CREATE TABLE user_sessions (
    user_session_id UUID NOT NULL PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (user_id),
    created_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    user_agent      TEXT,
    last_active_at  TIMESTAMPTZ,
    last_active_ip  INET
);

CREATE TABLE oauth2_clients (
    oauth2_client_id                UUID NOT NULL PRIMARY KEY,
    encrypted_client_secret         TEXT,
    redirect_uris                   TEXT[] NOT NULL DEFAULT '{}',
    grant_type_authorization_code   BOOLEAN NOT NULL DEFAULT FALSE,
    grant_type_refresh_token        BOOLEAN NOT NULL DEFAULT FALSE,
    grant_type_client_credentials   BOOLEAN NOT NULL DEFAULT FALSE,
    grant_type_device_code          BOOLEAN NOT NULL DEFAULT FALSE,
    client_name                     TEXT,
    token_endpoint_auth_method      TEXT,
    application_type                TEXT,
    is_static                       BOOLEAN NOT NULL DEFAULT FALSE,
    metadata_digest                 TEXT UNIQUE
);

CREATE TABLE oauth2_sessions (
    oauth2_session_id UUID NOT NULL PRIMARY KEY,
    oauth2_client_id  UUID NOT NULL REFERENCES oauth2_clients (oauth2_client_id),
    user_id           UUID REFERENCES users (user_id),
    user_session_id   UUID REFERENCES user_sessions (user_session_id),
    scope_list        TEXT[] NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    last_active_at    TIMESTAMPTZ,
    last_active_ip    INET,
    user_agent        TEXT,
    human_name        TEXT
);

CREATE TABLE compat_sessions (
    compat_session_id UUID NOT NULL PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES users (user_id),
    device_id         TEXT UNIQUE,
    user_session_id   UUID REFERENCES user_sessions (user_session_id),
    created_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    is_synapse_admin  BOOLEAN NOT NULL DEFAULT FALSE,
    last_active_at    TIMESTAMPTZ,
    last_active_ip    INET,
    user_agent        TEXT,
    human_name        TEXT
);

CREATE TYPE queue_job_status AS ENUM ('available', 'running', 'completed', 'lost', 'failed', 'scheduled');

CREATE TABLE queue_jobs (
    queue_job_id   UUID NOT NULL PRIMARY KEY,
    queue_name     TEXT NOT NULL,
    payload        JSONB NOT NULL DEFAULT '{}',
    metadata       JSONB NOT NULL DEFAULT '{}',
    status         queue_job_status NOT NULL DEFAULT 'available',
    attempt        INTEGER NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    scheduled_at   TIMESTAMPTZ,
    started_at     TIMESTAMPTZ,
    completed_at   TIMESTAMPTZ,
    failed_reason  TEXT,
    next_attempt_id UUID REFERENCES queue_jobs (queue_job_id),
    schedule_name  TEXT
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

INSERT INTO users (user_id, username, created_at, locked_at, can_request_admin) VALUES
    ('01960a4e-6b3a-7c1e-9d42-1f0c2a3b4c5d', 'alice', '2025-03-02 09:15:00+00', NULL, TRUE),
    ('01960a4e-9f10-71aa-8e21-6a7b8c9d0e1f', 'bob', '2025-03-04 18:40:00+00', '2025-05-01 12:00:00+00', FALSE);

INSERT INTO user_passwords (user_password_id, user_id, hashed_password, version, created_at) VALUES
    ('01960a4e-6b3b-7000-8000-000000000001', '01960a4e-6b3a-7c1e-9d42-1f0c2a3b4c5d',
     '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA', 1, '2025-03-02 09:15:00+00');

INSERT INTO user_emails (user_email_id, user_id, email, created_at) VALUES
    ('01960a4e-6b3c-7000-8000-000000000002', '01960a4e-6b3a-7c1e-9d42-1f0c2a3b4c5d', 'alice@example.org', '2025-03-02 09:16:00+00');

INSERT INTO user_sessions (user_session_id, user_id, created_at, user_agent, last_active_at, last_active_ip) VALUES
    ('01960a4e-6b3d-7000-8000-000000000003', '01960a4e-6b3a-7c1e-9d42-1f0c2a3b4c5d', '2025-03-02 09:17:00+00',
     'Mozilla/5.0', '2025-03-02 09:20:00+00', '192.0.2.10');

INSERT INTO oauth2_clients (oauth2_client_id, redirect_uris, grant_type_authorization_code, grant_type_refresh_token,
                            client_name, token_endpoint_auth_method, application_type, metadata_digest) VALUES
    ('01960a4e-6b3e-7000-8000-000000000004', '{https://client.example.org/callback}', TRUE, TRUE,
     'Example client', 'none', 'native', 'digest-0004');

INSERT INTO oauth2_sessions (oauth2_session_id, oauth2_client_id, user_id, user_session_id, scope_list, created_at) VALUES
    ('01960a4e-6b3f-7000-8000-000000000005', '01960a4e-6b3e-7000-8000-000000000004',
     '01960a4e-6b3a-7c1e-9d42-1f0c2a3b4c5d', '01960a4e-6b3d-7000-8000-000000000003',
     '{openid,urn:matrix:client:api:*,urn:matrix:client:device:ABCDEFGHIJ}', '2025-03-02 09:18:00+00');

INSERT INTO compat_sessions (compat_session_id, user_id, device_id, created_at, is_synapse_admin, human_name) VALUES
    ('01960a4e-6b40-7000-8000-000000000006', '01960a4e-9f10-71aa-8e21-6a7b8c9d0e1f', 'KLMNOPQRST',
     '2025-03-04 18:41:00+00', FALSE, 'Element on Android');

INSERT INTO queue_jobs (queue_job_id, queue_name, payload, status, attempt, created_at, completed_at) VALUES
    ('01960a4e-6b41-7000-8000-000000000007', 'provision-user',
     '{"user_id": "01960a4e-6b3a-7c1e-9d42-1f0c2a3b4c5d"}', 'completed', 1,
     '2025-03-02 09:15:01+00', '2025-03-02 09:15:02+00'),
    ('01960a4e-6b42-7000-8000-000000000008', 'sync-devices',
     '{"user_id": "01960a4e-9f10-71aa-8e21-6a7b8c9d0e1f"}', 'scheduled', 0,
     '2025-03-04 18:41:01+00', NULL);
