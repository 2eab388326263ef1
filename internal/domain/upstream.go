package domain

import "time"

// UpstreamProvider mirrors an upstream_oauth2.providers entry of the
// configuration in the database, so that links and sessions can refer to
// it. Settings that only matter to the login flow are kept as JSON.
type UpstreamProvider struct {
	ID                      ID
	Issuer                  string
	HumanName               string
	BrandName               string
	Scope                   string
	ClientID                string
	EncryptedClientSecret   string
	TokenEndpointAuthMethod string
	// Settings is the provider's remaining configuration as a JSON object
	// (endpoints, discovery and PKCE modes, claims imports…).
	Settings   string
	CreatedAt  time.Time
	DisabledAt *time.Time
	UIOrder    int
}

// Enabled reports whether users may log in with the provider.
func (p *UpstreamProvider) Enabled() bool { return p.DisabledAt == nil }

// UpstreamLink ties an account at an upstream provider (its subject) to a
// local user. UserID is nil until the link is completed.
type UpstreamLink struct {
	ID               ID
	ProviderID       ID
	Subject          string
	UserID           *ID
	HumanAccountName string
	CreatedAt        time.Time
}

// UpstreamAuthSession is one login attempt at an upstream provider:
// pending → completed (callback received) → consumed (used to log in).
type UpstreamAuthSession struct {
	ID                  ID
	ProviderID          ID
	State               string
	CodeVerifier        string
	Nonce               string
	IDToken             string
	IDTokenClaims       string // JSON
	Userinfo            string // JSON
	ExtraCallbackParams string // JSON
	LinkID              *ID
	BrowserSessionID    *ID
	PostAuthAction      string // JSON
	CreatedAt           time.Time
	CompletedAt         *time.Time
	ConsumedAt          *time.Time
	UnlinkedAt          *time.Time
}

// Stage names where the attempt is in its lifecycle.
func (s *UpstreamAuthSession) Stage() Stage {
	switch {
	case s.ConsumedAt != nil:
		return StageConsumed
	case s.CompletedAt != nil:
		return "completed"
	default:
		return StagePending
	}
}

// Complete records the callback result and the link it resolved to.
func (s *UpstreamAuthSession) Complete(now time.Time, link ID, idToken, claims, userinfo string) error {
	if s.Stage() != StagePending {
		return transitionError("upstream session", s.Stage(), "completed")
	}
	s.CompletedAt = &now
	s.LinkID = &link
	s.IDToken, s.IDTokenClaims, s.Userinfo = idToken, claims, userinfo
	return nil
}

// Consume records that the attempt was used to authenticate a browser session.
func (s *UpstreamAuthSession) Consume(now time.Time, browserSession ID) error {
	if s.Stage() != "completed" {
		return transitionError("upstream session", s.Stage(), StageConsumed)
	}
	s.ConsumedAt = &now
	s.BrowserSessionID = &browserSession
	return nil
}
