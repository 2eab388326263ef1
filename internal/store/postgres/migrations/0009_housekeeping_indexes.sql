-- Indexes for the housekeeping jobs (cleanup-finished-*, cleanup-inactive-*-ips,
-- the registration, recovery, email and upstream clean-ups, and the expiry of
-- inactive sessions), so that each batch reads only the rows it handles.
-- Partial indexes keep them small: most sessions are active, most flows
-- finish, and IP addresses are only kept for recent activity.
CREATE INDEX compat_sessions_finished_at ON compat_sessions (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX oauth2_sessions_finished_at ON oauth2_sessions (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX user_sessions_finished_at ON user_sessions (finished_at, user_session_id) WHERE finished_at IS NOT NULL;

CREATE INDEX compat_sessions_last_active_ip ON compat_sessions (last_active_at) WHERE last_active_ip IS NOT NULL;
CREATE INDEX oauth2_sessions_last_active_ip ON oauth2_sessions (last_active_at) WHERE last_active_ip IS NOT NULL;
CREATE INDEX user_sessions_last_active_ip ON user_sessions (last_active_at) WHERE last_active_ip IS NOT NULL;

-- The expiry looks for active sessions by their last activity, or their
-- creation when they were never active.
CREATE INDEX compat_sessions_inactive ON compat_sessions ((COALESCE(last_active_at, created_at))) WHERE finished_at IS NULL;
CREATE INDEX oauth2_sessions_inactive ON oauth2_sessions ((COALESCE(last_active_at, created_at))) WHERE finished_at IS NULL;
CREATE INDEX user_sessions_inactive ON user_sessions ((COALESCE(last_active_at, created_at))) WHERE finished_at IS NULL;

CREATE INDEX user_registrations_created_at ON user_registrations (created_at);
CREATE INDEX user_recovery_sessions_created_at ON user_recovery_sessions (created_at);
CREATE INDEX user_email_authentications_created_at ON user_email_authentications (created_at);
CREATE INDEX upstream_oauth_authorization_sessions_orphaned ON upstream_oauth_authorization_sessions (created_at)
    WHERE user_session_id IS NULL;
CREATE INDEX upstream_oauth_links_orphaned ON upstream_oauth_links (created_at) WHERE user_id IS NULL;
