// Package store declares how the service persists its domain: a Store hands
// out repositories, one per aggregate, either directly (each call is its
// own statement) or inside a transaction (Tx).
//
// Both backends (SQLite and PostgreSQL) implement these interfaces with the
// same semantics; the suite in storetest pins that contract down. State
// transitions are applied by the domain method first, then persisted with a
// conditional write: if another writer changed the row in between, the
// repository returns ErrConflict and nothing is written.
package store

import (
	"context"
	"errors"

	"mas/internal/domain"
)

var (
	// ErrNotFound is returned when a lookup matches no row.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a write would break a uniqueness rule or
	// when the row changed state underneath a transition.
	ErrConflict = errors.New("conflict")
	// ErrLocked is returned by Bulk.BulkLoad when another load holds its
	// lock.
	ErrLocked = errors.New("locked by another process")
)

// Store is an open database.
type Store interface {
	Repos
	// Begin starts a read-write transaction. Callers must Commit or Rollback.
	Begin(ctx context.Context) (Tx, error)
	// Ping makes a round trip to the database.
	Ping(ctx context.Context) error
	// Backend names the implementation: "sqlite" or "postgres".
	Backend() string
	// Invalidations is the feed of invalidations for caches of token facts.
	Invalidations() InvalidationFeed
	// RecordActivities writes batched session activity (activity.go).
	ActivityWriter
	Close() error
}

// Tx is a transaction. Rollback after Commit is a no-op, so `defer
// tx.Rollback()` is always safe.
type Tx interface {
	Repos
	Commit() error
	Rollback() error
}

// Repos hands out the repositories.
type Repos interface {
	Users() UserRepository
	Passwords() PasswordRepository
	UserEmails() UserEmailRepository
	BrowserSessions() BrowserSessionRepository

	Clients() ClientRepository
	AuthorizationGrants() AuthorizationGrantRepository
	DeviceCodeGrants() DeviceCodeGrantRepository
	Sessions() SessionRepository
	AccessTokens() AccessTokenRepository
	RefreshTokens() RefreshTokenRepository
	ClientAssertions() ClientAssertionRepository

	CompatSessions() CompatSessionRepository
	CompatAccessTokens() CompatAccessTokenRepository
	CompatRefreshTokens() CompatRefreshTokenRepository
	CompatSSOLogins() CompatSSOLoginRepository

	PersonalSessions() PersonalSessionRepository
	PersonalAccessTokens() PersonalAccessTokenRepository

	UpstreamProviders() UpstreamProviderRepository
	UpstreamLinks() UpstreamLinkRepository
	UpstreamSessions() UpstreamSessionRepository

	Registrations() RegistrationRepository
	RegistrationTokens() RegistrationTokenRepository
	EmailAuthentications() EmailAuthenticationRepository
	Recovery() RecoveryRepository
	PolicyData() PolicyDataRepository
	PendingDevices() PendingDeviceRepository

	Jobs() JobQueue
}

// WithTx runs fn in a transaction, committing when it returns nil and
// rolling back otherwise.
func WithTx(ctx context.Context, s Store, fn func(tx Tx) error) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // rollback after commit is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// MaxJobAttempts matches upstream: a job is retried with exponential
// backoff and given up after ten attempts.
const MaxJobAttempts = 10

// JobQueue enqueues side effects. Inside a Tx the job becomes visible to
// workers only if the transaction commits.
type JobQueue interface {
	Enqueue(ctx context.Context, job domain.Job, opts ...JobOption) error
}

// JobOption adjusts how a job is enqueued.
type JobOption func(*JobOptions)

// JobOptions are the resolved enqueue options.
type JobOptions struct {
	// Delay postpones the first run.
	Delay int64 // seconds
}

// WithDelaySeconds postpones the first run of a job.
func WithDelaySeconds(s int64) JobOption { return func(o *JobOptions) { o.Delay = s } }
