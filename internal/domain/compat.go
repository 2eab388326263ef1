package domain

import "time"

// CompatSession is a session made through the Matrix legacy login API
// (/_matrix/client/*/login) or imported from Synapse.
type CompatSession struct {
	ID               ID
	UserID           ID
	DeviceID         string // may be empty for deviceless imported tokens
	BrowserSessionID *ID
	IsSynapseAdmin   bool
	CreatedAt        time.Time
	FinishedAt       *time.Time
	UserAgent        string
	LastActiveAt     *time.Time
	LastActiveIP     string
	HumanName        string
}

// Active reports whether the session has not been finished.
func (s *CompatSession) Active() bool { return s.FinishedAt == nil }

// Finish ends the session.
func (s *CompatSession) Finish(now time.Time) error {
	if s.FinishedAt != nil {
		return transitionError("compat session", "finished", "finished")
	}
	s.FinishedAt = &now
	return nil
}

// CompatAccessToken is a legacy access token (mct_…, or syt_… when imported).
type CompatAccessToken struct {
	ID        ID
	SessionID ID
	Token     string
	CreatedAt time.Time
	ExpiresAt *time.Time
	// FirstUsedAt is when the homeserver first presented the token: the
	// proof that the response carrying it reached the client.
	FirstUsedAt *time.Time
}

// Valid reports whether the token has not expired at now.
func (t *CompatAccessToken) Valid(now time.Time) bool {
	return t.ExpiresAt == nil || now.Before(*t.ExpiresAt)
}

// CompatRefreshToken is a legacy refresh token (mcr_…, or syr_…).
type CompatRefreshToken struct {
	ID            ID
	SessionID     ID
	AccessTokenID ID
	Token         string
	CreatedAt     time.Time
	ConsumedAt    *time.Time
	// NextRefreshTokenID is the token this one was rotated into; nil
	// before rotation, and once that token is gone.
	NextRefreshTokenID *ID
}

// Consume marks the refresh token used, rotated into next.
func (t *CompatRefreshToken) Consume(now time.Time, next ID) error {
	if t.ConsumedAt != nil {
		return transitionError("compat refresh token", StageConsumed, StageConsumed)
	}
	t.ConsumedAt = &now
	t.NextRefreshTokenID = &next
	return nil
}

// CompatSSOLogin is one m.login.sso round trip: pending → fulfilled (the
// user approved in the browser) → exchanged (the client redeemed the
// loginToken).
type CompatSSOLogin struct {
	ID               ID
	RedirectURI      string
	LoginToken       string
	CreatedAt        time.Time
	FulfilledAt      *time.Time
	ExchangedAt      *time.Time
	BrowserSessionID *ID
	SessionID        *ID
}

// Stage names where the login is in its lifecycle.
func (l *CompatSSOLogin) Stage() Stage {
	switch {
	case l.ExchangedAt != nil:
		return StageExchanged
	case l.FulfilledAt != nil:
		return StageFulfilled
	default:
		return StagePending
	}
}

// Fulfill records the user's approval in a browser session.
func (l *CompatSSOLogin) Fulfill(now time.Time, browserSession ID) error {
	if l.Stage() != StagePending {
		return transitionError("compat sso login", l.Stage(), StageFulfilled)
	}
	l.FulfilledAt = &now
	l.BrowserSessionID = &browserSession
	return nil
}

// Exchange records that the login token was redeemed for a compat session.
func (l *CompatSSOLogin) Exchange(now time.Time, session ID) error {
	if l.Stage() != StageFulfilled {
		return transitionError("compat sso login", l.Stage(), StageExchanged)
	}
	l.ExchangedAt = &now
	l.SessionID = &session
	return nil
}
