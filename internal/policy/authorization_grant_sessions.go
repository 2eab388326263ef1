package policy

// AuthorizationGrantCountsSessions reports whether AuthorizationGrant's
// session limit rule is on, so that callers count the user's sessions (three
// queries) only when the answer can matter.
func (e *Engine) AuthorizationGrantCountsSessions() bool {
	if e == nil {
		return false
	}
	sl := e.knobs().sessionLimit
	return sl != nil && sl.soft != nil
}
