package compat

import (
	"context"

	"mas/internal/domain"
	"mas/internal/login"
)

// authenticated is who a login proved to be, with what the session about
// to be created needs to know about how.
type authenticated struct {
	user *domain.User
	// loginType is the compat_login policy's login type.
	loginType string
	// password is the verified password check (password logins), whose
	// upgrade, if any, is stored with the session.
	password *login.Result
	// sso is the login a token login redeems, and browserSessionID the
	// browser session that approved it.
	sso              *domain.CompatSSOLogin
	browserSessionID *domain.ID
}

// passwordLogin checks an m.login.password login. An unknown, deactivated
// or locked user and a wrong password look the same (403), at the same
// cost; a locked user who gave the right password is told so (401).
// Upstream tells a locked user before checking the password, which lists
// the locked accounts to anyone; see login.Checker.
func (h *Handler) passwordLogin(ctx context.Context, typed, password string) (*authenticated, *matrixError) {
	res, err := h.Login.CheckPassword(ctx, typed, password)
	if err != nil {
		return nil, h.fault(ctx, errLoginInternal, "checking password", err)
	}
	switch res.Outcome {
	case login.OK:
		return &authenticated{user: res.User, loginType: loginTypePassword, password: &res}, nil
	case login.Locked:
		return nil, errUserLocked
	case login.RateLimited:
		return nil, rateLimited(res.RetryAfter)
	default:
		return nil, errBadCredentials
	}
}
