-- The six Synapse tables syn2mas reads, as a current Synapse (schema 94)
-- has them on SQLite: the column facts of synapse-protocol.md §3.6 in the
-- form of Synapse's SQLite schema (full_schemas/72/full.sql.sqlite: the
-- constraints inline, booleans stored as integers 0/1) plus the later
-- deltas that touch these tables. Only these tables: a fixture, not a
-- Synapse database.
--
-- The "-- phase:" lines split the file for the generator, which creates
-- the indexes after loading the rows. Run as a whole, the file makes the
-- same schema.

-- phase: tables

CREATE TABLE users (
    name TEXT,
    password_hash TEXT,
    creation_ts BIGINT,
    admin SMALLINT DEFAULT 0 NOT NULL,
    upgrade_ts BIGINT,
    is_guest SMALLINT DEFAULT 0 NOT NULL,
    appservice_id TEXT,
    consent_version TEXT,
    consent_server_notice_sent TEXT,
    user_type TEXT DEFAULT NULL,
    deactivated SMALLINT DEFAULT 0 NOT NULL,
    shadow_banned BOOLEAN,
    consent_ts BIGINT,
    UNIQUE (name)
);
-- delta/73/03users_approved_column.sql
ALTER TABLE users ADD COLUMN approved BOOLEAN;
-- delta/80/01_users_alter_locked.sql
ALTER TABLE users ADD locked BOOLEAN DEFAULT FALSE NOT NULL;
-- delta/85/01_add_suspended.sql
ALTER TABLE users ADD COLUMN suspended BOOLEAN DEFAULT FALSE NOT NULL;

CREATE TABLE user_threepids (
    user_id TEXT NOT NULL,
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    validated_at BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    CONSTRAINT medium_address UNIQUE (medium, address)
);

CREATE TABLE user_external_ids (
    auth_provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    UNIQUE (auth_provider, external_id)
);

CREATE TABLE refresh_tokens (
    id BIGINT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    token TEXT NOT NULL,
    next_token_id BIGINT REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    expiry_ts BIGINT DEFAULT NULL,
    ultimate_session_expiry_ts BIGINT DEFAULT NULL,
    UNIQUE (token)
);

CREATE TABLE access_tokens (
    id BIGINT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT,
    token TEXT NOT NULL,
    valid_until_ms BIGINT,
    puppets_user_id TEXT,
    last_validated BIGINT,
    refresh_token_id BIGINT REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    used BOOLEAN,
    UNIQUE (token)
);

CREATE TABLE devices (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    display_name TEXT,
    last_seen BIGINT,
    ip TEXT,
    user_agent TEXT,
    hidden BOOLEAN DEFAULT 0,
    CONSTRAINT device_uniqueness UNIQUE (user_id, device_id)
);

-- phase: indexes

CREATE INDEX users_creation_ts ON users (creation_ts);
CREATE INDEX user_threepids_user_id ON user_threepids (user_id);
CREATE INDEX user_threepids_medium_address ON user_threepids (medium, address);
CREATE INDEX user_external_ids_user_id_idx ON user_external_ids (user_id);
CREATE INDEX access_tokens_device_id ON access_tokens (user_id, device_id);
-- the background update 'access_tokens_refresh_token_id_idx' (delta 84/04)
CREATE INDEX access_tokens_refresh_token_id_idx ON access_tokens (refresh_token_id);
CREATE INDEX refresh_tokens_next_token_id ON refresh_tokens (next_token_id) WHERE next_token_id IS NOT NULL;
