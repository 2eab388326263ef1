package policy

// Counting a user's sessions takes several queries; the rules that use the
// counts say here whether they are on, so that callers count only when the
// answer can matter. The dynamic data can turn a rule on or off, so ask
// before each request.

// AuthorizationGrantCountsSessions reports whether AuthorizationGrant's
// session limit rule is on (three queries).
func (e *Engine) AuthorizationGrantCountsSessions() bool {
	if e == nil {
		return false
	}
	sl := e.knobs().sessionLimit
	return sl != nil && sl.soft != nil
}

// CompatLoginCountsSessions reports whether CompatLogin's session limit rule
// is on (five queries: the user's sessions and the ones a login would
// replace). API logins get the hard limit, so a limit without a soft one
// counts too.
func (e *Engine) CompatLoginCountsSessions() bool {
	return e != nil && e.knobs().sessionLimit != nil
}
