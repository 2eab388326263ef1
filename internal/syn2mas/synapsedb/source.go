// Package synapsedb reads what syn2mas migrates from a Synapse database:
// users, third-party IDs, external IDs, devices and access and refresh
// tokens, in one consistent read-only snapshot, from PostgreSQL (as
// upstream) or SQLite (beyond upstream). The queries are upstream's, column
// for column, so that the same rows are migrated.
package synapsedb

import "context"

// Rows as Synapse stores them. Times are as Synapse keeps them: CreationTS
// in seconds, the others in milliseconds. Optional columns are pointers.

// User is a row of users.
type User struct {
	Name         string // the full user ID, @localpart:server
	PasswordHash *string
	Admin        bool
	Deactivated  bool
	Locked       bool
	IsGuest      bool
	CreationTS   int64   // seconds
	AppserviceID *string // set for application service users
}

// Threepid is a row of user_threepids.
type Threepid struct {
	UserID, Medium, Address string
	AddedAt                 int64 // ms
}

// ExternalID is a row of user_external_ids.
type ExternalID struct {
	UserID, AuthProvider, ExternalID string
}

// Device is a row of devices (hidden ones and guest_device excluded).
type Device struct {
	UserID, DeviceID string
	DisplayName      *string
	LastSeen         *int64 // ms
	IP, UserAgent    *string
}

// AccessToken is an access token without refresh token (and not a
// puppeting one): with its device, or without one.
type AccessToken struct {
	UserID        string
	DeviceID      *string
	Token         string
	ValidUntilMS  *int64
	LastValidated *int64
}

// RefreshPair is a refresh token with its current access token.
type RefreshPair struct {
	UserID, DeviceID          string
	AccessToken, RefreshToken string
	ValidUntilMS              *int64
	LastValidated             *int64
}

// ProviderCount is an auth_provider of user_external_ids and how many
// users it links.
type ProviderCount struct {
	AuthProvider string
	Users        int64
}

// Tables are the tables syn2mas reads, in the order it locks them.
var Tables = []string{"users", "user_threepids", "user_external_ids", "devices", "access_tokens", "refresh_tokens"}

// Source is an open snapshot of a Synapse database. Each listing calls fn
// for every row, in no particular order, and stops at fn's first error.
type Source interface {
	// Estimate is the approximate row count of a table of Tables (for
	// progress only; 0 when unknown).
	Estimate(ctx context.Context, table string) (int64, error)

	Users(ctx context.Context, fn func(User) error) error
	Threepids(ctx context.Context, fn func(Threepid) error) error
	ExternalIDs(ctx context.Context, fn func(ExternalID) error) error
	Devices(ctx context.Context, fn func(Device) error) error
	// UnrefreshableTokens are the access tokens without refresh token, of
	// a known device or of none.
	UnrefreshableTokens(ctx context.Context, fn func(AccessToken) error) error
	// RefreshableTokens are the refresh tokens of known devices with the
	// access token that goes with each, skipping pairs already replaced
	// by a used successor.
	RefreshableTokens(ctx context.Context, fn func(RefreshPair) error) error

	// What the checks look at.
	ExternalIDProviders(ctx context.Context) ([]ProviderCount, error)
	CountGuests(ctx context.Context) (int64, error)
	CountNonEmailThreepids(ctx context.Context) (int64, error)

	// Close ends the snapshot and releases the locks.
	Close() error
}

// Options say how to open a Synapse database.
type Options struct {
	// Driver is "postgres" or "sqlite".
	Driver string
	// DSN is a postgres:// URI, or the path of the SQLite file.
	DSN string
	// Shared takes the locks a dry run takes (ACCESS SHARE on
	// PostgreSQL), so that a running Synapse can go on; otherwise the
	// tables are locked EXCLUSIVE (NOWAIT) for the snapshot's life.
	Shared bool
}
