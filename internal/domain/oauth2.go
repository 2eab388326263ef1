package domain

import "time"

// Client is an OAuth 2.0 client, registered dynamically or from the
// configuration (static).
type Client struct {
	ID ID
	// EncryptedSecret is the client secret sealed with secrets.encryption;
	// empty for clients without a shared secret.
	EncryptedSecret string
	RedirectURIs    []string

	GrantAuthorizationCode bool
	GrantRefreshToken      bool
	GrantClientCredentials bool
	GrantDeviceCode        bool

	ClientName                  string
	LogoURI                     string
	ClientURI                   string
	PolicyURI                   string
	TOSURI                      string
	JWKS                        string // JSON document, empty if none
	JWKSURI                     string
	IDTokenSignedResponseAlg    string
	UserinfoSignedResponseAlg   string
	TokenEndpointAuthMethod     string
	TokenEndpointAuthSigningAlg string
	InitiateLoginURI            string
	ApplicationType             string // "web" or "native"
	Contacts                    []string
	IsStatic                    bool
	// MetadataDigest de-duplicates secret-less dynamic registrations.
	MetadataDigest string
	CreatedAt      time.Time
}

// AuthorizationGrant is one /authorize request and its progress:
// pending → fulfilled (consent given) → exchanged (code redeemed), or
// pending → cancelled.
type AuthorizationGrant struct {
	ID                  ID
	ClientID            ID
	RedirectURI         string
	Scope               []string
	State               string
	Nonce               string
	ResponseMode        string
	ResponseTypeCode    bool
	ResponseTypeIDToken bool
	Code                string
	CodeChallenge       string
	CodeChallengeMethod string
	LoginHint           string
	Locale              string
	// RawParameters is the whole authorize query string, kept for upstream
	// templating.
	RawParameters string
	CreatedAt     time.Time

	FulfilledAt      *time.Time
	ExchangedAt      *time.Time
	CancelledAt      *time.Time
	BrowserSessionID *ID
	SessionID        *ID // OAuth 2.0 session created at exchange
}

// Stage names where the grant is in its lifecycle.
func (g *AuthorizationGrant) Stage() Stage {
	switch {
	case g.CancelledAt != nil:
		return StageCancelled
	case g.ExchangedAt != nil:
		return StageExchanged
	case g.FulfilledAt != nil:
		return StageFulfilled
	default:
		return StagePending
	}
}

// Fulfill records that the user consented within the given browser session.
func (g *AuthorizationGrant) Fulfill(now time.Time, browserSession ID) error {
	if g.Stage() != StagePending {
		return transitionError("authorization grant", g.Stage(), StageFulfilled)
	}
	g.FulfilledAt = &now
	g.BrowserSessionID = &browserSession
	return nil
}

// Exchange records that the code was redeemed for the given OAuth session.
func (g *AuthorizationGrant) Exchange(now time.Time, session ID) error {
	if g.Stage() != StageFulfilled {
		return transitionError("authorization grant", g.Stage(), StageExchanged)
	}
	g.ExchangedAt = &now
	g.SessionID = &session
	return nil
}

// Cancel abandons a pending grant.
func (g *AuthorizationGrant) Cancel(now time.Time) error {
	if g.Stage() != StagePending {
		return transitionError("authorization grant", g.Stage(), StageCancelled)
	}
	g.CancelledAt = &now
	return nil
}

// DeviceCodeGrant is an RFC 8628 device authorization: pending → fulfilled
// or rejected → exchanged.
type DeviceCodeGrant struct {
	ID               ID
	ClientID         ID
	Scope            []string
	UserCode         string
	DeviceCode       string
	CreatedAt        time.Time
	ExpiresAt        time.Time
	FulfilledAt      *time.Time
	RejectedAt       *time.Time
	ExchangedAt      *time.Time
	BrowserSessionID *ID
	SessionID        *ID
	IPAddress        string
	UserAgent        string
	Locale           string
}

// Stage names where the device grant is in its lifecycle.
func (g *DeviceCodeGrant) Stage() Stage {
	switch {
	case g.ExchangedAt != nil:
		return StageExchanged
	case g.RejectedAt != nil:
		return StageRejected
	case g.FulfilledAt != nil:
		return StageFulfilled
	default:
		return StagePending
	}
}

// Expired reports whether the grant can no longer be acted upon.
func (g *DeviceCodeGrant) Expired(now time.Time) bool { return !now.Before(g.ExpiresAt) }

// Fulfill records the user's approval.
func (g *DeviceCodeGrant) Fulfill(now time.Time, browserSession ID) error {
	if g.Stage() != StagePending {
		return transitionError("device code grant", g.Stage(), StageFulfilled)
	}
	g.FulfilledAt = &now
	g.BrowserSessionID = &browserSession
	return nil
}

// Reject records the user's refusal.
func (g *DeviceCodeGrant) Reject(now time.Time, browserSession ID) error {
	if g.Stage() != StagePending {
		return transitionError("device code grant", g.Stage(), StageRejected)
	}
	g.RejectedAt = &now
	g.BrowserSessionID = &browserSession
	return nil
}

// Exchange records that the device polled successfully and got a session.
func (g *DeviceCodeGrant) Exchange(now time.Time, session ID) error {
	if g.Stage() != StageFulfilled {
		return transitionError("device code grant", g.Stage(), StageExchanged)
	}
	g.ExchangedAt = &now
	g.SessionID = &session
	return nil
}

// Session is an OAuth 2.0 session: what a client may do, for a user or (with
// client_credentials) for itself.
type Session struct {
	ID               ID
	ClientID         ID
	UserID           *ID // nil for client_credentials sessions
	BrowserSessionID *ID
	Scope            []string
	CreatedAt        time.Time
	FinishedAt       *time.Time
	UserAgent        string
	LastActiveAt     *time.Time
	LastActiveIP     string
	HumanName        string
}

// Active reports whether the session has not been finished.
func (s *Session) Active() bool { return s.FinishedAt == nil }

// Finish ends the session; every token of a finished session is invalid.
func (s *Session) Finish(now time.Time) error {
	if s.FinishedAt != nil {
		return transitionError("oauth2 session", "finished", "finished")
	}
	s.FinishedAt = &now
	return nil
}

// AccessToken is an OAuth 2.0 access token (mat_…).
type AccessToken struct {
	ID          ID
	SessionID   ID
	Token       string
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	RevokedAt   *time.Time
	FirstUsedAt *time.Time
}

// Valid reports whether the token may be used at now.
func (t *AccessToken) Valid(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Revoke invalidates the token.
func (t *AccessToken) Revoke(now time.Time) error {
	if t.RevokedAt != nil {
		return transitionError("access token", "revoked", "revoked")
	}
	t.RevokedAt = &now
	return nil
}

// RefreshToken is an OAuth 2.0 refresh token (mar_…): valid → consumed (it
// was rotated into NextRefreshTokenID) or revoked.
type RefreshToken struct {
	ID                 ID
	SessionID          ID
	AccessTokenID      *ID
	Token              string
	CreatedAt          time.Time
	ConsumedAt         *time.Time
	RevokedAt          *time.Time
	NextRefreshTokenID *ID
}

// Valid reports whether the token can still be exchanged.
func (t *RefreshToken) Valid() bool { return t.ConsumedAt == nil && t.RevokedAt == nil }

// Consume marks the token as rotated into next.
func (t *RefreshToken) Consume(now time.Time, next ID) error {
	if !t.Valid() {
		return transitionError("refresh token", t.stage(), "consumed")
	}
	t.ConsumedAt = &now
	t.NextRefreshTokenID = &next
	return nil
}

// Revoke invalidates the token.
func (t *RefreshToken) Revoke(now time.Time) error {
	if t.RevokedAt != nil {
		return transitionError("refresh token", "revoked", "revoked")
	}
	t.RevokedAt = &now
	return nil
}

func (t *RefreshToken) stage() string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ConsumedAt != nil:
		return "consumed"
	default:
		return "valid"
	}
}
