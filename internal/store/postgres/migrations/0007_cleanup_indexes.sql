-- Indexes for the hourly clean-up jobs, so that each one reads only the
-- rows it deletes instead of scanning the whole table. Partial indexes keep
-- them small: most tokens are never revoked or consumed.
CREATE INDEX oauth2_access_tokens_revoked_at ON oauth2_access_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX oauth2_access_tokens_expires_at ON oauth2_access_tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX oauth2_refresh_tokens_revoked_at ON oauth2_refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX oauth2_refresh_tokens_consumed_at ON oauth2_refresh_tokens (consumed_at) WHERE consumed_at IS NOT NULL;
CREATE INDEX oauth2_authorization_grants_created_at ON oauth2_authorization_grants (created_at);
CREATE INDEX oauth2_device_code_grants_created_at ON oauth2_device_code_grants (created_at);
