package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// ActivityKind names the kind of session an Activity is about.
type ActivityKind string

// The sessions whose last use is recorded.
const (
	ActivityOAuthSession   ActivityKind = "oauth2-session"
	ActivityCompatSession  ActivityKind = "compat-session"
	ActivityBrowserSession ActivityKind = "browser-session"
)

// Activity is one sighting of a session: when it was last used, and from
// which address ("" when unknown).
type Activity struct {
	Kind      ActivityKind
	SessionID domain.ID
	At        time.Time
	IP        string
}

// ActivityWriter writes sightings collected in memory, many at a time, so
// that a busy service does not write on every request.
type ActivityWriter interface {
	// RecordActivities records every sighting in one transaction, with the
	// semantics of the repositories' RecordActivity; sightings of sessions
	// that no longer exist are dropped.
	RecordActivities(ctx context.Context, batch []Activity) error
}
