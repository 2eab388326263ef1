package domain

import "time"

// Housekeeping jobs: upstream's clean-ups of finished sessions, old
// personal data and abandoned flows, and the opt-in expiry of inactive
// sessions. Kinds, schedules and retention periods are upstream's.

// CleanupFinishedCompatSessionsJob deletes compat sessions finished more
// than 30 days ago, with their tokens.
type CleanupFinishedCompatSessionsJob struct{}

func (CleanupFinishedCompatSessionsJob) Kind() string { return "cleanup-finished-compat-sessions" }

// CleanupFinishedOAuth2SessionsJob deletes OAuth 2.0 sessions finished
// more than 30 days ago, with their tokens.
type CleanupFinishedOAuth2SessionsJob struct{}

func (CleanupFinishedOAuth2SessionsJob) Kind() string { return "cleanup-finished-oauth2-sessions" }

// CleanupFinishedUserSessionsJob deletes browser sessions finished more
// than 30 days ago that no OAuth 2.0 or compat session started from.
type CleanupFinishedUserSessionsJob struct{}

func (CleanupFinishedUserSessionsJob) Kind() string { return "cleanup-finished-user-sessions" }

// CleanupInactiveOAuth2SessionIPsJob forgets the last IP address of OAuth
// 2.0 sessions inactive for 30 days.
type CleanupInactiveOAuth2SessionIPsJob struct{}

func (CleanupInactiveOAuth2SessionIPsJob) Kind() string {
	return "cleanup-inactive-oauth2-session-ips"
}

// CleanupInactiveCompatSessionIPsJob forgets the last IP address of compat
// sessions inactive for 30 days.
type CleanupInactiveCompatSessionIPsJob struct{}

func (CleanupInactiveCompatSessionIPsJob) Kind() string {
	return "cleanup-inactive-compat-session-ips"
}

// CleanupInactiveUserSessionIPsJob forgets the last IP address of browser
// sessions inactive for 30 days.
type CleanupInactiveUserSessionIPsJob struct{}

func (CleanupInactiveUserSessionIPsJob) Kind() string { return "cleanup-inactive-user-session-ips" }

// CleanupUserRegistrationsJob deletes registrations started more than 30
// days ago, finished or not.
type CleanupUserRegistrationsJob struct{}

func (CleanupUserRegistrationsJob) Kind() string { return "cleanup-user-registrations" }

// CleanupUserRecoverySessionsJob deletes password recovery sessions
// started more than 7 days ago, with their tickets.
type CleanupUserRecoverySessionsJob struct{}

func (CleanupUserRecoverySessionsJob) Kind() string { return "cleanup-user-recovery-sessions" }

// CleanupUserEmailAuthenticationsJob deletes email verifications started
// more than 7 days ago, with their codes.
type CleanupUserEmailAuthenticationsJob struct{}

func (CleanupUserEmailAuthenticationsJob) Kind() string {
	return "cleanup-user-email-authentications"
}

// CleanupUpstreamOAuthSessionsJob deletes upstream login attempts started
// more than 7 days ago that never led to a browser session.
type CleanupUpstreamOAuthSessionsJob struct{}

func (CleanupUpstreamOAuthSessionsJob) Kind() string { return "cleanup-upstream-oauth-sessions" }

// CleanupUpstreamOAuthLinksJob deletes upstream links made more than 7
// days ago that were never associated with a user.
type CleanupUpstreamOAuthLinksJob struct{}

func (CleanupUpstreamOAuthLinksJob) Kind() string { return "cleanup-upstream-oauth-links" }

// ExpireInactiveSessionsJob starts one expiry job per kind of session the
// inactive_session_expiration setting covers.
type ExpireInactiveSessionsJob struct{}

func (ExpireInactiveSessionsJob) Kind() string { return "expire-inactive-sessions" }

// InactiveSessionsBatch is one batch of an expiry: up to 100 active
// sessions whose last activity (or creation, when never active) is before
// Threshold, longest idle first. A full batch enqueues the next one with
// the same threshold.
type InactiveSessionsBatch struct {
	Threshold time.Time `json:"threshold"`
}

// Batch returns the batch a job of any of the three kinds covers.
func (b InactiveSessionsBatch) Batch() InactiveSessionsBatch { return b }

// ExpireInactiveOAuthSessionsJob ends a batch of inactive OAuth 2.0
// sessions.
type ExpireInactiveOAuthSessionsJob struct{ InactiveSessionsBatch }

func (ExpireInactiveOAuthSessionsJob) Kind() string { return "expire-inactive-oauth-sessions" }

// ExpireInactiveCompatSessionsJob ends a batch of inactive compat sessions.
type ExpireInactiveCompatSessionsJob struct{ InactiveSessionsBatch }

func (ExpireInactiveCompatSessionsJob) Kind() string { return "expire-inactive-compat-sessions" }

// ExpireInactiveUserSessionsJob ends a batch of inactive browser sessions.
type ExpireInactiveUserSessionsJob struct{ InactiveSessionsBatch }

func (ExpireInactiveUserSessionsJob) Kind() string { return "expire-inactive-user-sessions" }
