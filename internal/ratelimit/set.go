package ratelimit

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Rate is one rate_limiting entry: a bucket of Burst cells refilled at
// PerSecond cells per second.
type Rate struct {
	Burst     int
	PerSecond float64
}

// Config holds every limiter of the rate_limiting section, plus the device
// code link limiter that upstream lacks. A zero Rate means the default.
type Config struct {
	LoginPerIP                           Rate // login.per_ip
	LoginPerAccount                      Rate // login.per_account
	Registration                         Rate // registration
	AccountRecoveryPerIP                 Rate // account_recovery.per_ip
	AccountRecoveryPerAddress            Rate // account_recovery.per_address
	EmailAuthenticationPerIP             Rate // email_authentication.per_ip
	EmailAuthenticationPerAddress        Rate // email_authentication.per_address
	EmailAuthenticationEmailsPerSession  Rate // email_authentication.emails_per_session
	EmailAuthenticationAttemptPerSession Rate // email_authentication.attempt_per_session
	// DeviceCodeLinkPerIP limits user-code submissions on the device link
	// page: an 8-letter user code is brute-forceable without it (RFC 8628
	// §5.1).
	DeviceCodeLinkPerIP Rate // device_code_link.per_ip
	// AuthorizationPerIP and CompatSSOPerIP limit the requests that make
	// us store something before anyone logs in (an authorization grant, a
	// compat SSO login), which upstream lets anyone make without bound.
	// Generous: many users can share one address.
	AuthorizationPerIP Rate // authorization.per_ip
	CompatSSOPerIP     Rate // compat_sso.per_ip
	// UpstreamAuthorizationPerIP limits the upstream login attempts
	// (/upstream/authorize) one address may start, each a stored row.
	UpstreamAuthorizationPerIP Rate // upstream_authorization.per_ip
}

// DefaultConfig returns upstream's defaults.
func DefaultConfig() Config {
	return Config{
		LoginPerIP:                           Rate{3, 3.0 / 60},         // 3 per minute
		LoginPerAccount:                      Rate{1800, 1800.0 / 3600}, // 1800 per hour
		Registration:                         Rate{3, 3.0 / 3600},       // 3 per hour
		AccountRecoveryPerIP:                 Rate{3, 3.0 / 3600},
		AccountRecoveryPerAddress:            Rate{3, 1.0 / 3600},
		EmailAuthenticationPerIP:             Rate{5, 1.0 / 60},
		EmailAuthenticationPerAddress:        Rate{3, 1.0 / 3600},
		EmailAuthenticationEmailsPerSession:  Rate{2, 1.0 / 300},
		EmailAuthenticationAttemptPerSession: Rate{10, 1.0 / 60},
		DeviceCodeLinkPerIP:                  Rate{10, 1.0 / 60},
		AuthorizationPerIP:                   Rate{200, 1},
		CompatSSOPerIP:                       Rate{200, 1},
		UpstreamAuthorizationPerIP:           Rate{200, 1},
	}
}

// Set is the application's collection of named limiters.
type Set struct {
	LoginPerIP                           *Limiter
	LoginPerAccount                      *Limiter
	Registration                         *Limiter
	AccountRecoveryPerIP                 *Limiter
	AccountRecoveryPerAddress            *Limiter
	EmailAuthenticationPerIP             *Limiter
	EmailAuthenticationPerAddress        *Limiter
	EmailAuthenticationEmailsPerSession  *Limiter
	EmailAuthenticationAttemptPerSession *Limiter
	DeviceCodeLinkPerIP                  *Limiter
	AuthorizationPerIP                   *Limiter
	CompatSSOPerIP                       *Limiter
	UpstreamAuthorizationPerIP           *Limiter

	now func() time.Time
}

// NewSet builds every limiter of cfg; opts applies to each.
func NewSet(cfg Config, opts Options) (*Set, error) {
	def := DefaultConfig()
	s := &Set{now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	entries := []struct {
		name     string
		rate     Rate
		fallback Rate
		dst      **Limiter
	}{
		{"login.per_ip", cfg.LoginPerIP, def.LoginPerIP, &s.LoginPerIP},
		{"login.per_account", cfg.LoginPerAccount, def.LoginPerAccount, &s.LoginPerAccount},
		{"registration", cfg.Registration, def.Registration, &s.Registration},
		{"account_recovery.per_ip", cfg.AccountRecoveryPerIP, def.AccountRecoveryPerIP, &s.AccountRecoveryPerIP},
		{"account_recovery.per_address", cfg.AccountRecoveryPerAddress, def.AccountRecoveryPerAddress, &s.AccountRecoveryPerAddress},
		{"email_authentication.per_ip", cfg.EmailAuthenticationPerIP, def.EmailAuthenticationPerIP, &s.EmailAuthenticationPerIP},
		{"email_authentication.per_address", cfg.EmailAuthenticationPerAddress, def.EmailAuthenticationPerAddress, &s.EmailAuthenticationPerAddress},
		{"email_authentication.emails_per_session", cfg.EmailAuthenticationEmailsPerSession, def.EmailAuthenticationEmailsPerSession, &s.EmailAuthenticationEmailsPerSession},
		{"email_authentication.attempt_per_session", cfg.EmailAuthenticationAttemptPerSession, def.EmailAuthenticationAttemptPerSession, &s.EmailAuthenticationAttemptPerSession},
		{"device_code_link.per_ip", cfg.DeviceCodeLinkPerIP, def.DeviceCodeLinkPerIP, &s.DeviceCodeLinkPerIP},
		{"authorization.per_ip", cfg.AuthorizationPerIP, def.AuthorizationPerIP, &s.AuthorizationPerIP},
		{"compat_sso.per_ip", cfg.CompatSSOPerIP, def.CompatSSOPerIP, &s.CompatSSOPerIP},
		{"upstream_authorization.per_ip", cfg.UpstreamAuthorizationPerIP, def.UpstreamAuthorizationPerIP, &s.UpstreamAuthorizationPerIP},
	}
	for _, e := range entries {
		r := e.rate
		if r == (Rate{}) {
			r = e.fallback
		}
		l, err := New(r.Burst, r.PerSecond, opts)
		if err != nil {
			return nil, fmt.Errorf("rate_limiting.%s: %w", e.name, err)
		}
		*e.dst = l
	}
	return s, nil
}

// Sweep drops idle keys from every limiter; see Limiter.Sweep.
func (s *Set) Sweep() {
	now := s.now()
	for _, l := range s.all() {
		l.SweepAt(now)
	}
}

func (s *Set) all() []*Limiter {
	return []*Limiter{s.LoginPerIP, s.LoginPerAccount, s.Registration, s.AccountRecoveryPerIP,
		s.AccountRecoveryPerAddress, s.EmailAuthenticationPerIP, s.EmailAuthenticationPerAddress,
		s.EmailAuthenticationEmailsPerSession, s.EmailAuthenticationAttemptPerSession, s.DeviceCodeLinkPerIP,
		s.AuthorizationPerIP, s.CompatSSOPerIP, s.UpstreamAuthorizationPerIP}
}

// RequesterKey is the per-IP key. Requests whose client address is unknown
// (the zero Addr) share one bucket, as upstream's; IPv4-mapped IPv6
// addresses count as their IPv4 address.
//
// An IPv6 client is keyed by its /64, not its address: a /64 is the
// smallest prefix a network is normally given (RFC 4291 §2.5.1, SLAAC), so
// one host can use any of its 2^64 addresses, and per-address buckets
// would give it that many fresh limits. IPv4 addresses stay individual.
func RequesterKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return "(no client ip)"
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		// Cannot fail: 64 is within an IPv6 address's length.
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

// EmailKey lowercases an address so that case variants share a bucket.
func EmailKey(email string) string { return strings.ToLower(email) }

func check(l *Limiter, name, key string, now time.Time) error {
	if ok, retry := l.CheckAt(key, now); !ok {
		return &LimitedError{Limiter: name, Key: key, RetryAfter: retry}
	}
	return nil
}

// CheckPassword guards a password check (login, and re-authentication such
// as a password change): first per client IP, then per account. A request
// refused per IP does not count against the account.
func (s *Set) CheckPassword(ip netip.Addr, accountID string) error {
	now := s.now()
	if err := check(s.LoginPerIP, "login.per_ip", RequesterKey(ip), now); err != nil {
		return err
	}
	return check(s.LoginPerAccount, "login.per_account", accountID, now)
}

// CheckRegistration guards starting a registration.
func (s *Set) CheckRegistration(ip netip.Addr) error {
	return check(s.Registration, "registration", RequesterKey(ip), s.now())
}

// CheckAccountRecovery guards sending a recovery email: per IP, then per
// address.
func (s *Set) CheckAccountRecovery(ip netip.Addr, email string) error {
	now := s.now()
	if err := check(s.AccountRecoveryPerIP, "account_recovery.per_ip", RequesterKey(ip), now); err != nil {
		return err
	}
	return check(s.AccountRecoveryPerAddress, "account_recovery.per_address", EmailKey(email), now)
}

// CheckEmailAuthenticationEmail guards starting an email authentication
// (sending its first code): per IP, then per address.
func (s *Set) CheckEmailAuthenticationEmail(ip netip.Addr, email string) error {
	now := s.now()
	if err := check(s.EmailAuthenticationPerIP, "email_authentication.per_ip", RequesterKey(ip), now); err != nil {
		return err
	}
	return check(s.EmailAuthenticationPerAddress, "email_authentication.per_address", EmailKey(email), now)
}

// CheckEmailAuthenticationSendCode guards sending another code within an
// email authentication session: the per-IP and per-address limits, then
// the per-session one.
func (s *Set) CheckEmailAuthenticationSendCode(ip netip.Addr, email, sessionID string) error {
	if err := s.CheckEmailAuthenticationEmail(ip, email); err != nil {
		return err
	}
	return check(s.EmailAuthenticationEmailsPerSession, "email_authentication.emails_per_session", sessionID, s.now())
}

// CheckEmailAuthenticationAttempt guards one code submission in a session.
func (s *Set) CheckEmailAuthenticationAttempt(sessionID string) error {
	return check(s.EmailAuthenticationAttemptPerSession, "email_authentication.attempt_per_session", sessionID, s.now())
}

// CheckDeviceCodeLink guards one user-code submission on the device link
// page.
func (s *Set) CheckDeviceCodeLink(ip netip.Addr) error {
	return check(s.DeviceCodeLinkPerIP, "device_code_link.per_ip", RequesterKey(ip), s.now())
}

// CheckAuthorization guards an authorization request about to be stored.
func (s *Set) CheckAuthorization(ip netip.Addr) error {
	return check(s.AuthorizationPerIP, "authorization.per_ip", RequesterKey(ip), s.now())
}

// CheckCompatSSO guards a compat SSO login about to be stored.
func (s *Set) CheckCompatSSO(ip netip.Addr) error {
	return check(s.CompatSSOPerIP, "compat_sso.per_ip", RequesterKey(ip), s.now())
}

// CheckUpstreamAuthorization guards an upstream login attempt about to be
// stored.
func (s *Set) CheckUpstreamAuthorization(ip netip.Addr) error {
	return check(s.UpstreamAuthorizationPerIP, "upstream_authorization.per_ip", RequesterKey(ip), s.now())
}
