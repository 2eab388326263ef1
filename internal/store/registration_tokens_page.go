package store

// RegistrationTokenFilter selects registration tokens for a listing (the
// Admin API's); the zero value selects every token. Expiry and validity
// are judged at the store's current time.
type RegistrationTokenFilter struct {
	// Used, when set, keeps the tokens used at least once (or never).
	Used *bool
	// Revoked, when set, keeps the revoked tokens (or the others).
	Revoked *bool
	// Expired, when set, keeps the tokens past their expiry (or the others).
	Expired *bool
	// Valid, when set, keeps the tokens that can be used now: not revoked,
	// not expired, below their usage limit (or the others).
	Valid *bool
}
