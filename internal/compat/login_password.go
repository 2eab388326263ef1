package compat

import (
	"context"
	"errors"
	"strings"

	"mas/internal/domain"
	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/store"
)

// authenticated is who a login proved to be, with what the session about
// to be created needs to know about how.
type authenticated struct {
	user *domain.User
	// loginType is the compat_login policy's login type.
	loginType string
	// password is the verified password and upgrade the rehash to store in
	// its place (password logins whose scheme is not the newest).
	password *domain.Password
	upgrade  *passwords.Upgrade
	// sso is the login a token login redeems, and browserSessionID the
	// browser session that approved it.
	sso              *domain.CompatSSOLogin
	browserSessionID *domain.ID
}

// passwordLogin checks an m.login.password login. Upstream's order is
// kept: an unknown or deactivated user and a wrong password look the same
// (403), a locked user is told so (401) before any rate limit or password
// work, and the rate limits come before the password is hashed.
//
// Two things upstream does not do: unknown names are rate limited too (by
// name, as the web login does, so that a 429 does not single out existing
// accounts), and they cost a dummy verification, so that response times do
// not either.
func (h *Handler) passwordLogin(ctx context.Context, typed, password string) (*authenticated, *matrixError) {
	username := h.localpartOf(typed)
	user, err := h.Store.Users().FindByUsername(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		user = nil
	case err != nil:
		return nil, h.fault(ctx, errLoginInternal, "looking up user", err)
	case user.DeactivatedAt != nil:
		user = nil
	case user.LockedAt != nil:
		return nil, errUserLocked
	}

	accountKey := strings.ToLower(username)
	if user != nil {
		accountKey = user.ID.String()
	}
	if h.Limits != nil {
		err := h.Limits.CheckPassword(requestctx.ClientIP(ctx), accountKey)
		var limited *ratelimit.LimitedError
		switch {
		case errors.As(err, &limited):
			return nil, rateLimited(limited.RetryAfter)
		case err != nil:
			return nil, h.fault(ctx, errLoginInternal, "checking rate limits", err)
		}
	}

	var active *domain.Password
	if user != nil {
		active, err = h.Store.Passwords().Active(ctx, user.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			active = nil
		case err != nil:
			return nil, h.fault(ctx, errLoginInternal, "looking up password", err)
		}
	}
	if active == nil {
		if err := h.Passwords.DummyVerify(ctx); err != nil {
			return nil, h.fault(ctx, errLoginInternal, "dummy password verification", err)
		}
		return nil, errBadCredentials
	}

	upgrade, err := h.Passwords.Verify(ctx, active.Version, active.HashedPassword, password)
	switch {
	case errors.Is(err, passwords.ErrMismatch):
		return nil, errBadCredentials
	case errors.Is(err, passwords.ErrUnknownScheme), errors.Is(err, passwords.ErrMalformedHash):
		// The stored hash is unusable: the user cannot log in with a
		// password until it is reset, which an operator must hear about.
		h.logger(ctx).ErrorContext(ctx, "stored password cannot be verified", "user_id", user.ID.String(), "error", err)
		// Nothing was hashed: spend the time a verification takes, or the
		// quick answer singles out these accounts (all of them, once an
		// operator drops the scheme that migrated users still have).
		if err := h.Passwords.DummyVerify(ctx); err != nil {
			return nil, h.fault(ctx, errLoginInternal, "dummy password verification", err)
		}
		return nil, errBadCredentials
	case err != nil:
		return nil, h.fault(ctx, errLoginInternal, "verifying password", err)
	}
	return &authenticated{user: user, loginType: loginTypePassword, password: active, upgrade: upgrade}, nil
}
