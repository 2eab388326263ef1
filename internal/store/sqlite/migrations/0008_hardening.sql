-- What a compat refresh needs to tell a lost response from a replay, as
-- the OAuth 2.0 tables already can: the token a refresh token was rotated
-- into, and whether an access token was ever presented.
ALTER TABLE compat_access_tokens ADD COLUMN first_used_at INTEGER;
ALTER TABLE compat_refresh_tokens ADD COLUMN next_compat_refresh_token_id TEXT
    REFERENCES compat_refresh_tokens (compat_refresh_token_id) ON DELETE SET NULL;
CREATE INDEX compat_refresh_tokens_next ON compat_refresh_tokens (next_compat_refresh_token_id);

-- For the clean-up of SSO logins that were never completed.
CREATE INDEX compat_sso_logins_created_at ON compat_sso_logins (created_at);
