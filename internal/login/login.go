// Package login holds the rules that every way of logging in shares: which
// account a typed name means, the password check (rate limits, lock and
// deactivation, verification, hash upgrade), and the session counts the
// session limit is decided on. The browser login page, the legacy Matrix
// login API and the OAuth consent pages all call it, and each maps its
// typed outcomes to its own wire format (a page error, a Matrix error, an
// OAuth error); registration, recovery, password change and deactivation
// are meant to call it too.
package login

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/store"
)

// Checker checks passwords. Every field is explicit; Limits may be nil (no
// rate limiting).
type Checker struct {
	Store      store.Store
	Passwords  *passwords.Manager
	Limits     *ratelimit.Set
	ServerName string // matrix.homeserver: "@localpart:ServerName" names a local user
	// LoginWithEmail is account.login_with_email_allowed: CheckLogin also
	// takes a confirmed email address for the account.
	LoginWithEmail bool
}

// Outcome is what a password check concluded.
type Outcome int

const (
	// OK: the password is the user's; Result carries the user and the
	// password record (and its upgrade, if the scheme is not the newest).
	OK Outcome = iota
	// BadCredentials covers every failure a caller must not tell apart:
	// no such user, a deactivated one, one without a password, a wrong
	// password, a stored hash that cannot be verified.
	BadCredentials
	// Locked: the user is locked, and the password was right: only
	// someone who knows it learns about the lock.
	Locked
	// RateLimited: too many attempts; Result.RetryAfter says for how long.
	RateLimited
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case BadCredentials:
		return "bad credentials"
	case Locked:
		return "locked"
	case RateLimited:
		return "rate limited"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Result is a password check's outcome with what goes with it.
type Result struct {
	Outcome Outcome
	// User is set for OK and Locked.
	User *domain.User
	// Password is the verified password record (OK only).
	Password *domain.Password
	// Upgrade is the rehash to store in place of Password when its scheme
	// is not the newest (OK only, may be nil).
	Upgrade *passwords.Upgrade
	// RetryAfter is how long to wait (RateLimited only).
	RetryAfter time.Duration
}

// Localpart turns what a user typed into a localpart: a bare localpart, or
// the full Matrix ID of a user of this server. ok is false for anything
// that cannot name a local account (another server's ID, a name with ':'
// or '@').
func (c *Checker) Localpart(typed string) (string, bool) {
	if strings.HasPrefix(typed, "@") {
		return homeserver.Localpart(typed, c.ServerName)
	}
	return typed, typed != "" && !strings.ContainsAny(typed, ":@")
}

// UsernameFromHint is the username an OpenID Connect login_hint suggests:
// a localpart, a Matrix ID of this server, or upstream's
// "mxid:@localpart:server" form; "" for anything else.
func (c *Checker) UsernameFromHint(hint string) string {
	hint = strings.TrimPrefix(strings.TrimSpace(hint), "mxid:")
	localpart, ok := c.Localpart(hint)
	if !ok {
		return ""
	}
	return localpart
}

// MaxPasswordBytes bounds a password. Longer ones are refused like a wrong
// password, at the same cost, before any hashing (argon2's own limit is
// 1 MiB, the legacy API's bodies may be 2 MiB, and an error there once
// answered differently for existing and unknown accounts).
const MaxPasswordBytes = 4096

// CheckPassword checks that password is the password of the account typed
// names. The error is for failures of the service itself; every answer
// about the credentials is an Outcome.
//
// Every failure looks the same from outside: no such account, a
// deactivated or locked one with a wrong password, no password, a wrong
// password, an unusable stored hash, an over-long password all answer
// BadCredentials after exactly one password computation (a dummy one when
// there is nothing to verify), so neither the answer nor its cost tells
// which accounts exist or are locked. The rate limits come before any
// hashing, so that hammering a login form costs the attacker a refusal,
// not us a hash; names that match no account are limited too, by name.
func (c *Checker) CheckPassword(ctx context.Context, typed, password string) (Result, error) {
	return c.check(ctx, typed, password, false)
}

// CheckLogin is CheckPassword for the login page: when LoginWithEmail is
// set, typed may also be a confirmed email address of the account. An
// address that no account has confirmed fails like an unknown username,
// at the same cost. The legacy Matrix login API does not take addresses
// (upstream's does not), so it calls CheckPassword.
func (c *Checker) CheckLogin(ctx context.Context, typed, password string) (Result, error) {
	return c.check(ctx, typed, password, c.LoginWithEmail)
}

func (c *Checker) check(ctx context.Context, typed, password string, withEmail bool) (Result, error) {
	user, accountKey, err := c.findAccount(ctx, typed, withEmail)
	if err != nil {
		return Result{}, err
	}
	if c.Limits != nil {
		err := c.Limits.CheckPassword(requestctx.ClientIP(ctx), accountKey)
		var limited *ratelimit.LimitedError
		switch {
		case errors.As(err, &limited):
			return Result{Outcome: RateLimited, RetryAfter: limited.RetryAfter}, nil
		case err != nil:
			return Result{}, fmt.Errorf("checking rate limits: %w", err)
		}
	}

	var active *domain.Password
	if user != nil {
		p, err := c.Store.Passwords().Active(ctx, user.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return Result{}, fmt.Errorf("looking up password: %w", err)
		default:
			active = p
		}
	}
	if active == nil || len(password) > MaxPasswordBytes {
		return c.dummyFailure(ctx)
	}
	upgrade, err := c.Passwords.Verify(ctx, active.Version, active.HashedPassword, password)
	switch {
	case errors.Is(err, passwords.ErrMismatch):
		return Result{Outcome: BadCredentials}, nil
	case errors.Is(err, passwords.ErrUnknownScheme), errors.Is(err, passwords.ErrMalformedHash):
		// The stored hash is unusable: the user cannot log in with a
		// password until it is reset, which an operator must hear about.
		// Nothing was hashed, so spend the time a verification takes, or
		// the quick answer singles out these accounts (all of them, once
		// an operator drops the scheme that migrated users still have).
		requestctx.Logger(ctx).ErrorContext(ctx, "stored password cannot be verified", "user_id", user.ID.String(), "error", err)
		return c.dummyFailure(ctx)
	case err != nil:
		return Result{}, fmt.Errorf("verifying password: %w", err)
	}
	if user.LockedAt != nil {
		return Result{Outcome: Locked, User: user}, nil
	}
	return Result{Outcome: OK, User: user, Password: active, Upgrade: upgrade}, nil
}

// findAccount returns the active (not deactivated) user typed names, or
// nil, and the key the per-account rate limit counts the attempt under:
// the user's ID, so that every name of one account shares a limit, or
// else what was typed, so that names matching no account are limited too.
func (c *Checker) findAccount(ctx context.Context, typed string, withEmail bool) (*domain.User, string, error) {
	var (
		u   *domain.User
		err error
	)
	switch localpart, known := c.Localpart(typed); {
	case withEmail && isEmailAddress(typed):
		var e *domain.UserEmail
		if e, err = c.Store.UserEmails().FindByEmail(ctx, typed); err == nil {
			u, err = c.Store.Users().Lookup(ctx, e.UserID)
		}
	case known:
		typed = localpart
		u, err = c.Store.Users().FindByUsername(ctx, localpart)
	default:
		err = store.ErrNotFound
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, "", fmt.Errorf("looking up user: %w", err)
	case u.DeactivatedAt == nil:
		return u, u.ID.String(), nil
	}
	return nil, strings.ToLower(typed), nil
}

// isEmailAddress tells an address from the other names of an account:
// Matrix IDs start with "@", and localparts have none.
func isEmailAddress(typed string) bool {
	at := strings.LastIndexByte(typed, '@')
	return at > 0 && at < len(typed)-1
}

// dummyFailure spends a verification's time and answers BadCredentials.
func (c *Checker) dummyFailure(ctx context.Context) (Result, error) {
	if err := c.Passwords.DummyVerify(ctx); err != nil {
		return Result{}, fmt.Errorf("dummy password verification: %w", err)
	}
	return Result{Outcome: BadCredentials}, nil
}

// StoreUpgrade stores the rehashed password of an OK result, if there is
// one, and returns the ID of the password the login is authenticated by.
func StoreUpgrade(ctx context.Context, tx store.Repos, res Result) (domain.ID, error) {
	if res.Upgrade == nil {
		return res.Password.ID, nil
	}
	upgraded, err := tx.Passwords().Add(ctx, res.User.ID, res.Upgrade.Hash, res.Upgrade.Version, &res.Password.ID)
	if err != nil {
		return domain.ID{}, fmt.Errorf("storing upgraded password: %w", err)
	}
	return upgraded.ID, nil
}

// PasswordsEnabled reports whether passwords can be used at all
// (passwords.enabled).
func (c *Checker) PasswordsEnabled() bool { return c != nil && c.Passwords.Enabled() }
