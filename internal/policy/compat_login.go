package policy

// Compatibility login types.
const (
	// LoginTypeSSO is the interactive (consent page) part of an SSO login.
	LoginTypeSSO = "m.login.sso"
	// LoginTypeToken finishes an SSO login through the API.
	LoginTypeToken    = "m.login.token"
	LoginTypePassword = "m.login.password"
)

// CompatLogin is the kind of compatibility login being performed.
type CompatLogin struct {
	Type string
	// RedirectURI is where an SSO login returns to (LoginTypeSSO only).
	RedirectURI string
}

// CompatLoginInput describes a Matrix C-S API login about to create a
// compatibility session.
type CompatLoginInput struct {
	User          User
	SessionCounts SessionCounts
	// SessionReplaced is true when the login reuses a device ID and so ends
	// the session holding it: the session count does not grow.
	SessionReplaced bool
	Login           CompatLogin
	Requester       Requester
}

const (
	msgTooManySessionsSoft = "user has too many active sessions (soft limit)"
	msgTooManySessionsHard = "user has too many active sessions (hard limit)"
)

// CompatLogin checks the requester and the session limit. Only the
// interactive SSO page can offer to end sessions, so it gets the soft
// limit; API logins (password, token) get the hard limit.
func (e *Engine) CompatLogin(in CompatLoginInput) []Violation {
	k := e.knobs()
	var vs violations
	k.requesterViolations(&vs, in.Requester)

	sl := k.sessionLimit
	total := in.SessionCounts.Total
	if sl == nil || in.SessionReplaced || !sl.appliesTo(total) {
		return vs
	}
	limit, msg := sl.hard, msgTooManySessionsHard
	if in.Login.Type == LoginTypeSSO {
		limit, msg = sl.soft, msgTooManySessionsSoft
	}
	if limit != nil && *limit <= total {
		vs.add(Violation{
			Msg:          msg,
			Code:         CodeTooManySessions,
			NeedToRemove: int(total - *limit + 1), // room for the new session
		})
	}
	return vs
}
