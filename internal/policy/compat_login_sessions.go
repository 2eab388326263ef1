package policy

// CompatLoginCountsSessions reports whether CompatLogin's session limit rule
// is on, so that callers count the user's sessions and the ones a login
// would replace (five queries) only when the answer can matter. The
// dynamic data can turn the rule on or off, so ask before each login.
func (e *Engine) CompatLoginCountsSessions() bool {
	return e != nil && e.knobs().sessionLimit != nil
}
