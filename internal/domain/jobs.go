package domain

// Job payloads. Each is enqueued in the same transaction as the write that
// causes it and run later by a worker. Kind names match upstream's queue
// names so that logs and metrics read the same.

// Job is implemented by every job payload.
type Job interface {
	Kind() string
}

// ProvisionUserJob creates or updates the user on the homeserver.
type ProvisionUserJob struct {
	UserID         ID     `json:"user_id"`
	SetDisplayName string `json:"set_displayname,omitempty"`
}

func (ProvisionUserJob) Kind() string { return "provision-user" }

// SyncDevicesJob pushes the user's current set of devices to the homeserver.
type SyncDevicesJob struct {
	UserID ID `json:"user_id"`
}

func (SyncDevicesJob) Kind() string { return "sync-devices" }

// DeactivateUserJob ends every session of the user and deactivates the user
// on the homeserver, erasing data when HSErase is set.
type DeactivateUserJob struct {
	UserID  ID   `json:"user_id"`
	HSErase bool `json:"hs_erase"`
}

func (DeactivateUserJob) Kind() string { return "deactivate-user" }

// ReactivateUserJob reactivates the user on the homeserver.
type ReactivateUserJob struct {
	UserID ID `json:"user_id"`
}

func (ReactivateUserJob) Kind() string { return "reactivate-user" }

// SendEmailAuthenticationCodeJob mails a verification code.
type SendEmailAuthenticationCodeJob struct {
	EmailAuthenticationID ID     `json:"user_email_authentication_id"`
	Language              string `json:"language"`
}

func (SendEmailAuthenticationCodeJob) Kind() string { return "send-email-authentication-code" }

// SendAccountRecoveryEmailsJob mails recovery tickets.
type SendAccountRecoveryEmailsJob struct {
	RecoverySessionID ID `json:"user_recovery_session_id"`
}

func (SendAccountRecoveryEmailsJob) Kind() string { return "send-account-recovery-email" }

// PruneStalePolicyDataJob deletes old versions of the dynamic policy data.
type PruneStalePolicyDataJob struct{}

func (PruneStalePolicyDataJob) Kind() string { return "prune-stale-policy-data" }

// CleanupClientAssertionsJob forgets client-assertion IDs whose assertion
// has expired (they can no longer be replayed anyway).
type CleanupClientAssertionsJob struct{}

func (CleanupClientAssertionsJob) Kind() string { return "cleanup-client-assertions" }

// CleanupPendingDevicesJob deletes the expired pending-device marks of
// logins that died between creating their devices and committing their
// session (an expired mark no longer protects anything).
type CleanupPendingDevicesJob struct{}

func (CleanupPendingDevicesJob) Kind() string { return "cleanup-pending-devices" }

// The OAuth 2.0 clean-ups below keep upstream's kinds, schedules and
// retention periods, so a Rust worker on the same queue agrees with ours.

// CleanupRevokedOAuthAccessTokensJob deletes access tokens revoked more
// than an hour ago.
type CleanupRevokedOAuthAccessTokensJob struct{}

func (CleanupRevokedOAuthAccessTokensJob) Kind() string { return "cleanup-revoked-oauth-access-tokens" }

// CleanupExpiredOAuthAccessTokensJob deletes access tokens that expired
// more than 30 days ago.
type CleanupExpiredOAuthAccessTokensJob struct{}

func (CleanupExpiredOAuthAccessTokensJob) Kind() string { return "cleanup-expired-oauth-access-tokens" }

// CleanupRevokedOAuthRefreshTokensJob deletes refresh tokens revoked more
// than an hour ago.
type CleanupRevokedOAuthRefreshTokensJob struct{}

func (CleanupRevokedOAuthRefreshTokensJob) Kind() string {
	return "cleanup-revoked-oauth-refresh-tokens"
}

// CleanupConsumedOAuthRefreshTokensJob deletes refresh tokens rotated more
// than an hour ago, which also ends their one-time lost-response grace.
type CleanupConsumedOAuthRefreshTokensJob struct{}

func (CleanupConsumedOAuthRefreshTokensJob) Kind() string {
	return "cleanup-consumed-oauth-refresh-tokens"
}

// CleanupOAuthAuthorizationGrantsJob deletes authorization grants created
// more than 7 days ago.
type CleanupOAuthAuthorizationGrantsJob struct{}

func (CleanupOAuthAuthorizationGrantsJob) Kind() string { return "cleanup-oauth-authorization-grants" }

// CleanupUnusedOAuthAuthorizationGrantsJob deletes authorization grants
// no user completed within an hour: each unauthenticated /authorize
// request leaves one.
type CleanupUnusedOAuthAuthorizationGrantsJob struct{}

func (CleanupUnusedOAuthAuthorizationGrantsJob) Kind() string {
	return "cleanup-unused-oauth-authorization-grants"
}

// CleanupUnusedCompatSSOLoginsJob deletes compat SSO logins that did not
// become a session within an hour: each unauthenticated SSO redirect
// leaves one.
type CleanupUnusedCompatSSOLoginsJob struct{}

func (CleanupUnusedCompatSSOLoginsJob) Kind() string { return "cleanup-unused-compat-sso-logins" }

// CleanupUnusedUpstreamOAuthSessionsJob deletes upstream login attempts
// that did not come back from the provider within an hour: each
// unauthenticated /upstream/authorize request leaves one.
type CleanupUnusedUpstreamOAuthSessionsJob struct{}

func (CleanupUnusedUpstreamOAuthSessionsJob) Kind() string {
	return "cleanup-unused-upstream-oauth-sessions"
}

// CleanupOAuthDeviceCodeGrantsJob deletes device code grants created more
// than 7 days ago.
type CleanupOAuthDeviceCodeGrantsJob struct{}

func (CleanupOAuthDeviceCodeGrantsJob) Kind() string { return "cleanup-oauth-device-code-grants" }
