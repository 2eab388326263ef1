package config

import "math"

// RateLimitingConfig is the `rate_limiting` section.
type RateLimitingConfig struct {
	AccountRecovery     AccountRecoveryLimits     `yaml:"account_recovery,omitempty"`
	Login               LoginLimits               `yaml:"login,omitempty"`
	Registration        RateLimit                 `yaml:"registration,omitempty"`
	EmailAuthentication EmailAuthenticationLimits `yaml:"email_authentication,omitempty"`
}

// RateLimit is a token bucket: Burst actions at once, refilled at PerSecond
// actions per second (fractions allowed).
type RateLimit struct {
	Burst     uint32  `yaml:"burst" required:"true"`
	PerSecond float64 `yaml:"per_second" required:"true"`
}

// AccountRecoveryLimits limit recovery emails per IP and per address.
type AccountRecoveryLimits struct {
	PerIP      RateLimit `yaml:"per_ip,omitempty"`
	PerAddress RateLimit `yaml:"per_address,omitempty"`
}

// LoginLimits limit login attempts per IP and per account.
type LoginLimits struct {
	PerIP      RateLimit `yaml:"per_ip,omitempty"`
	PerAccount RateLimit `yaml:"per_account,omitempty"`
}

// EmailAuthenticationLimits limit email code flows.
type EmailAuthenticationLimits struct {
	PerIP             RateLimit `yaml:"per_ip,omitempty"`
	PerAddress        RateLimit `yaml:"per_address,omitempty"`
	EmailsPerSession  RateLimit `yaml:"emails_per_session,omitempty"`
	AttemptPerSession RateLimit `yaml:"attempt_per_session,omitempty"`
}

func (r *RateLimitingConfig) setDefaults() {
	r.AccountRecovery.setDefaults()
	r.Login.setDefaults()
	r.Registration = RateLimit{Burst: 3, PerSecond: 3 / 3600.0}
	r.EmailAuthentication.setDefaults()
}

func (a *AccountRecoveryLimits) setDefaults() {
	*a = AccountRecoveryLimits{
		PerIP:      RateLimit{Burst: 3, PerSecond: 3 / 3600.0},
		PerAddress: RateLimit{Burst: 3, PerSecond: 1 / 3600.0},
	}
}

func (l *LoginLimits) setDefaults() {
	*l = LoginLimits{
		PerIP:      RateLimit{Burst: 3, PerSecond: 3 / 60.0},
		PerAccount: RateLimit{Burst: 1800, PerSecond: 1800 / 3600.0},
	}
}

func (e *EmailAuthenticationLimits) setDefaults() {
	*e = EmailAuthenticationLimits{
		PerIP:             RateLimit{Burst: 5, PerSecond: 1 / 60.0},
		PerAddress:        RateLimit{Burst: 3, PerSecond: 1 / 3600.0},
		EmailsPerSession:  RateLimit{Burst: 2, PerSecond: 1 / 300.0},
		AttemptPerSession: RateLimit{Burst: 10, PerSecond: 1 / 60.0},
	}
}

func (r *RateLimitingConfig) validate(v *validator) {
	for _, l := range []struct {
		path  string
		limit RateLimit
	}{
		{"rate_limiting.account_recovery.per_ip", r.AccountRecovery.PerIP},
		{"rate_limiting.account_recovery.per_address", r.AccountRecovery.PerAddress},
		{"rate_limiting.login.per_ip", r.Login.PerIP},
		{"rate_limiting.login.per_account", r.Login.PerAccount},
		{"rate_limiting.registration", r.Registration},
		{"rate_limiting.email_authentication.per_ip", r.EmailAuthentication.PerIP},
		{"rate_limiting.email_authentication.per_address", r.EmailAuthentication.PerAddress},
		{"rate_limiting.email_authentication.emails_per_session", r.EmailAuthentication.EmailsPerSession},
		{"rate_limiting.email_authentication.attempt_per_session", r.EmailAuthentication.AttemptPerSession},
	} {
		if l.limit.Burst == 0 {
			v.add(joinPath(l.path, "burst"), "must be at least 1")
		}
		if !(l.limit.PerSecond > 0) || math.IsInf(l.limit.PerSecond, 0) {
			v.add(joinPath(l.path, "per_second"), "must be a positive number")
		}
	}
}
