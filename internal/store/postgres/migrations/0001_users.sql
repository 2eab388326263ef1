-- Users and what hangs directly off them. IDs are 26-character ULID text.
CREATE TABLE users (
    user_id           TEXT PRIMARY KEY,
    username          TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    locked_at         TIMESTAMPTZ,
    deactivated_at    TIMESTAMPTZ,
    can_request_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_guest          BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

CREATE TABLE user_passwords (
    user_password_id TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    hashed_password  TEXT NOT NULL,
    version          INTEGER NOT NULL,
    upgraded_from_id TEXT REFERENCES user_passwords (user_password_id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX user_passwords_user ON user_passwords (user_id, user_password_id);

CREATE TABLE user_emails (
    user_email_id TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX user_emails_email_lower ON user_emails (lower(email));
CREATE INDEX user_emails_user ON user_emails (user_id);

CREATE TABLE user_sessions (
    user_session_id TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    user_agent      TEXT,
    last_active_at  TIMESTAMPTZ,
    last_active_ip  TEXT
);
CREATE INDEX user_sessions_user_active ON user_sessions (user_id, finished_at);
