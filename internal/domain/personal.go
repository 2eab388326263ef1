package domain

import "time"

// PersonalSession is a long-lived session for personal access tokens,
// owned by a user or by a client, acting as ActorUserID.
type PersonalSession struct {
	ID            ID
	OwnerUserID   *ID
	OwnerClientID *ID
	ActorUserID   ID
	HumanName     string
	Scope         []string
	CreatedAt     time.Time
	RevokedAt     *time.Time
	LastActiveAt  *time.Time
	LastActiveIP  string
}

// Revoke ends the session.
func (s *PersonalSession) Revoke(now time.Time) error {
	if s.RevokedAt != nil {
		return transitionError("personal session", "revoked", "revoked")
	}
	s.RevokedAt = &now
	return nil
}

// PersonalAccessToken is an mpt_… token; only its SHA-256 is stored.
type PersonalAccessToken struct {
	ID          ID
	SessionID   ID
	TokenSHA256 []byte
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	RevokedAt   *time.Time
}

// Valid reports whether the token may be used at now.
func (t *PersonalAccessToken) Valid(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Revoke withdraws the token; regenerating a session's token revokes the
// previous one first.
func (t *PersonalAccessToken) Revoke(now time.Time) error {
	if t.RevokedAt != nil {
		return transitionError("personal access token", "revoked", "revoked")
	}
	t.RevokedAt = &now
	return nil
}
