package domain

import "time"

// UserRegistration is a password or upstream registration in progress. It
// becomes a User when completed.
type UserRegistration struct {
	ID                    ID
	Username              string
	DisplayName           string
	TermsURL              string
	EmailAuthenticationID *ID
	HashedPassword        string
	PasswordVersion       int
	RegistrationTokenID   *ID
	UpstreamSessionID     *ID
	PostAuthAction        string // JSON
	IPAddress             string
	UserAgent             string
	CreatedAt             time.Time
	CompletedAt           *time.Time
}

// Complete marks the registration done.
func (r *UserRegistration) Complete(now time.Time) error {
	if r.CompletedAt != nil {
		return transitionError("registration", "completed", "completed")
	}
	r.CompletedAt = &now
	return nil
}

// RegistrationToken gates registration when the operator requires it.
type RegistrationToken struct {
	ID         ID
	Token      string
	UsageLimit *int // nil = unlimited
	TimesUsed  int
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// Valid reports whether the token can be used at now.
func (t *RegistrationToken) Valid(now time.Time) bool {
	if t.RevokedAt != nil {
		return false
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return false
	}
	return t.UsageLimit == nil || t.TimesUsed < *t.UsageLimit
}

// Use counts one use of the token.
func (t *RegistrationToken) Use(now time.Time) error {
	if !t.Valid(now) {
		return transitionError("registration token", "invalid", "used")
	}
	t.TimesUsed++
	t.LastUsedAt = &now
	return nil
}

// EmailAuthentication proves control of an address, for a browser session
// (adding an email) or a registration.
type EmailAuthentication struct {
	ID                 ID
	Email              string
	BrowserSessionID   *ID
	UserRegistrationID *ID
	CreatedAt          time.Time
	CompletedAt        *time.Time
}

// EmailAuthenticationCode is a 6-digit code mailed for an authentication.
type EmailAuthenticationCode struct {
	ID                    ID
	EmailAuthenticationID ID
	Code                  string
	CreatedAt             time.Time
	ExpiresAt             time.Time
}

// RecoverySession is a password-recovery request for an email address.
type RecoverySession struct {
	ID         ID
	Email      string
	UserAgent  string
	IPAddress  string
	Locale     string
	CreatedAt  time.Time
	ConsumedAt *time.Time
}

// RecoveryTicket is the secret link mailed to one matching address.
type RecoveryTicket struct {
	ID                ID
	RecoverySessionID ID
	UserEmailID       ID
	Ticket            string
	CreatedAt         time.Time
	ExpiresAt         time.Time
}

// PolicyData is one version of the dynamic policy data set through the
// admin API; the newest one applies.
type PolicyData struct {
	ID        ID
	Data      string // JSON object
	CreatedAt time.Time
}
