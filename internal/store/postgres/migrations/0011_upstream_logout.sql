-- Back-channel logout finds the upstream logins a logout token names by the
-- ID token's sub and sid, copied out of id_token_claims when the callback
-- completes the attempt (upstream indexes the JSON instead).
ALTER TABLE upstream_oauth_authorization_sessions ADD COLUMN id_token_sub TEXT;
ALTER TABLE upstream_oauth_authorization_sessions ADD COLUMN id_token_sid TEXT;
CREATE INDEX upstream_oauth_authorization_sessions_sub
    ON upstream_oauth_authorization_sessions (upstream_oauth_provider_id, id_token_sub) WHERE id_token_sub IS NOT NULL;
CREATE INDEX upstream_oauth_authorization_sessions_sid
    ON upstream_oauth_authorization_sessions (upstream_oauth_provider_id, id_token_sid) WHERE id_token_sid IS NOT NULL;

-- Attempts nobody completed are pre-login state: the clean-up of unused
-- attempts reads them by age.
CREATE INDEX upstream_oauth_authorization_sessions_pending
    ON upstream_oauth_authorization_sessions (created_at) WHERE completed_at IS NULL;

-- Logout tokens already acted on, by jti, until they expire: a replayed
-- token is refused.
CREATE TABLE upstream_oauth_logout_tokens (
    upstream_oauth_provider_id  TEXT NOT NULL
        REFERENCES upstream_oauth_providers (upstream_oauth_provider_id) ON DELETE CASCADE,
    jti                         TEXT NOT NULL,
    expires_at                  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (upstream_oauth_provider_id, jti)
);
CREATE INDEX upstream_oauth_logout_tokens_expires_at ON upstream_oauth_logout_tokens (expires_at);
