package config

import "time"

// ExperimentalConfig is the `experimental` section. Times are in seconds,
// as in the file.
type ExperimentalConfig struct {
	AccessTokenTTL uint64 `yaml:"access_token_ttl,omitempty"`
	CompatTokenTTL uint64 `yaml:"compat_token_ttl,omitempty"`
	// InactiveSessionExpiration, when set, ends sessions idle for too long.
	InactiveSessionExpiration *InactiveSessionExpiration `yaml:"inactive_session_expiration,omitempty"`
	// PlanManagementIframeURI adds a plan tab to the account page; it is
	// passed to the client as is.
	PlanManagementIframeURI string `yaml:"plan_management_iframe_uri,omitempty"`
	// SessionLimit, when set, caps the number of sessions per user.
	SessionLimit *SessionLimit `yaml:"session_limit,omitempty"`
}

// InactiveSessionExpiration ends inactive sessions after TTL seconds.
type InactiveSessionExpiration struct {
	TTL                  uint64 `yaml:"ttl" required:"true"`
	ExpireCompatSessions bool   `yaml:"expire_compat_sessions"`
	ExpireOAuthSessions  bool   `yaml:"expire_oauth_sessions"`
	ExpireUserSessions   bool   `yaml:"expire_user_sessions"`
}

// SessionLimit caps sessions per user. SoftLimit asks interactive logins to
// remove sessions; HardLimit refuses (or, with DangerousHardLimitEviction,
// evicts the least recently used sessions). MaxSessionThreshold, when not
// zero, applies the limits only to accounts with at most that many sessions.
type SessionLimit struct {
	SoftLimit                  uint64 `yaml:"soft_limit" required:"true"`
	HardLimit                  uint64 `yaml:"hard_limit" required:"true"`
	MaxSessionThreshold        uint64 `yaml:"max_session_threshold,omitempty"`
	DangerousHardLimitEviction bool   `yaml:"dangerous_hard_limit_eviction,omitempty"`
}

// DefaultTokenTTL is the default lifetime of access tokens, in seconds.
const DefaultTokenTTL = 300

func (e *ExperimentalConfig) setDefaults() {
	*e = ExperimentalConfig{AccessTokenTTL: DefaultTokenTTL, CompatTokenTTL: DefaultTokenTTL}
}

func (i *InactiveSessionExpiration) setDefaults() {
	*i = InactiveSessionExpiration{ExpireCompatSessions: true, ExpireOAuthSessions: true, ExpireUserSessions: true}
}

// AccessTokenLifetime returns the OAuth 2.0 access token lifetime.
func (e *ExperimentalConfig) AccessTokenLifetime() time.Duration { return seconds(e.AccessTokenTTL) }

// CompatTokenLifetime returns the lifetime of refreshable compat tokens.
func (e *ExperimentalConfig) CompatTokenLifetime() time.Duration { return seconds(e.CompatTokenTTL) }

// Lifetime returns the inactivity TTL.
func (i *InactiveSessionExpiration) Lifetime() time.Duration { return seconds(i.TTL) }

func (e *ExperimentalConfig) validate(v *validator) {
	const p = "experimental"
	if e.AccessTokenTTL == 0 {
		v.add(joinPath(p, "access_token_ttl"), "must be at least 1 second")
	}
	if e.CompatTokenTTL == 0 {
		v.add(joinPath(p, "compat_token_ttl"), "must be at least 1 second")
	}
	if i := e.InactiveSessionExpiration; i != nil && i.TTL == 0 {
		v.add(joinPath(p, "inactive_session_expiration.ttl"), "must be at least 1 second")
	}
	if s := e.SessionLimit; s != nil {
		sp := joinPath(p, "session_limit")
		if s.SoftLimit == 0 {
			v.add(joinPath(sp, "soft_limit"), "must be at least 1")
		}
		if s.HardLimit < s.SoftLimit {
			v.add(joinPath(sp, "hard_limit"), "must be greater than or equal to soft_limit (%d)", s.SoftLimit)
		}
		if s.DangerousHardLimitEviction && s.HardLimit < 2 {
			v.add(joinPath(sp, "hard_limit"), "must be at least 2 when dangerous_hard_limit_eviction is enabled")
		}
	}
}
