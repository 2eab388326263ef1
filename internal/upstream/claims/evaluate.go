package claims

import (
	"errors"
	"fmt"
	"maps"
	"strings"
)

// Claims are what a provider said about the user.
type Claims struct {
	IDToken  map[string]any
	Userinfo map[string]any
	// ExtraCallbackParameters are parameters the provider added to the
	// callback (Sign in with Apple sends the user's name this way).
	ExtraCallbackParameters map[string]any
}

// User merges the claims as templates see them in `user`: the userinfo
// response, overridden by the ID token where both have a claim.
func (c Claims) User() map[string]any {
	user := make(map[string]any, len(c.IDToken)+len(c.Userinfo))
	maps.Copy(user, c.Userinfo)
	maps.Copy(user, c.IDToken)
	return user
}

// Attribute is one imported attribute.
type Attribute struct {
	// Value is the rendered value; "" means none (an empty rendering
	// counts as no value).
	Value  string
	Action Action
}

// Present says whether there is a value.
func (a Attribute) Present() bool { return a.Value != "" }

// Required says whether the import is required; a required attribute of a
// successful Evaluate always has a value.
func (a Attribute) Required() bool { return a.Action == ActionRequire }

// Forced says whether the value is imported without asking: the user can
// neither change nor decline it (action force or require, with a value).
func (a Attribute) Forced() bool {
	return a.Present() && (a.Action == ActionForce || a.Action == ActionRequire)
}

// Suggested says whether the value is offered for the user to accept,
// change or decline.
func (a Attribute) Suggested() bool { return a.Present() && a.Action == ActionSuggest }

// Import says whether to import the value: it is forced, or it is
// suggested and the user accepted it.
func (a Attribute) Import(accepted bool) bool {
	return a.Forced() || (a.Suggested() && accepted)
}

// Localpart is the imported localpart with its conflict setting.
type Localpart struct {
	Attribute
	OnConflict OnConflict
}

// Email is the imported email address.
type Email struct {
	Attribute
	// Verified says whether the address counts as verified, per
	// set_email_verification; meaningful only when Present.
	Verified bool
}

// Result is what the login flow needs from the claims.
type Result struct {
	// Subject keys the upstream link; never empty.
	Subject string
	// AccountName names the upstream account for display, or "".
	AccountName      string
	SkipConfirmation bool
	Localpart        Localpart
	Displayname      Attribute
	Email            Email
	// Warnings are failures of imports that are not required; the import
	// counts as having no value. Log them.
	Warnings []error
}

var (
	// ErrMissing reports a required import with no value.
	ErrMissing = errors.New("required value missing")
	// ErrTemplate reports a template that failed to render.
	ErrTemplate = errors.New("template failed")
)

// ImportError is an import that failed. Its text names the provider, the
// import and the reason, and never contains the claims themselves (only,
// at most, a short quote of a value inside a template error).
type ImportError struct {
	ProviderID string
	// Field is the import, e.g. "claims_imports.localpart", or
	// "additional_authorization_parameters.<key>".
	Field string
	Err   error
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("upstream provider %s: %s: %v", e.ProviderID, e.Field, e.Err)
}

func (e *ImportError) Unwrap() error { return e.Err }

// Evaluate renders the imports with `user` bound to the given claims (the
// ID token claims merged with userinfo, see Claims.User).
func (m *Mapper) Evaluate(user map[string]any) (*Result, error) {
	return m.evaluate(map[string]any{"user": normalize(user)})
}

// EvaluateClaims renders the imports with the variables upstream gives
// templates: `user` (merged), `id_token_claims`, `userinfo_claims` and
// `extra_callback_parameters`, each present when the provider sent it.
func (m *Mapper) EvaluateClaims(c Claims) (*Result, error) {
	vars := map[string]any{"user": normalize(c.User())}
	for name, claims := range map[string]map[string]any{
		"id_token_claims":           c.IDToken,
		"userinfo_claims":           c.Userinfo,
		"extra_callback_parameters": c.ExtraCallbackParameters,
	} {
		if claims != nil {
			vars[name] = normalize(claims)
		}
	}
	return m.evaluate(vars)
}

func (m *Mapper) evaluate(vars map[string]any) (*Result, error) {
	o := m.opts
	r := &Result{SkipConfirmation: o.SkipConfirmation}
	var err error
	if r.Subject, err = m.render(r, "subject", m.subject, vars, true); err != nil {
		return nil, err
	}
	r.Displayname.Action = o.Displayname.Action.orDefault()
	if r.Displayname.Value, err = m.render(r, "displayname", m.displayname, vars, r.Displayname.Required()); err != nil {
		return nil, err
	}
	r.Email.Action = o.Email.Action.orDefault()
	if r.Email.Value, err = m.render(r, "email", m.email, vars, r.Email.Required()); err != nil {
		return nil, err
	}
	r.Localpart.Action = o.Localpart.Action.orDefault()
	r.Localpart.OnConflict = o.Localpart.OnConflict.orDefault()
	if r.Localpart.Value, err = m.render(r, "localpart", m.localpart, vars, r.Localpart.Required()); err != nil {
		return nil, err
	}
	// The account name is for display only: it never fails a login.
	r.AccountName, _ = m.render(r, "account_name", m.accountName, vars, false)
	if r.Email.Present() {
		user, _ := vars["user"].(map[string]any)
		r.Email.Verified = emailVerified(o.Email.Verification.orDefault(), r.Email.Value, user)
	}
	return r, nil
}

// render renders one import. A failure is an error when the import is
// required and a warning otherwise; looking through a missing claim is
// simply no value.
func (m *Mapper) render(r *Result, field string, t *template, vars map[string]any, required bool) (string, error) {
	if t == nil {
		return "", nil
	}
	out, err := renderImport(m.opts.ProviderID, "claims_imports."+field, t, vars, required)
	var ie *ImportError
	if err != nil && !required && errors.As(err, &ie) {
		r.Warnings = append(r.Warnings, ie)
		return "", nil
	}
	return out, err
}

// renderImport renders one template: looking through a missing claim is
// no value, and no value is an error only when required.
func renderImport(providerID, field string, t *template, vars map[string]any, required bool) (string, error) {
	out, err := t.render(vars)
	switch {
	case errors.Is(err, errNoValue):
		out = ""
	case err != nil:
		return "", &ImportError{ProviderID: providerID, Field: field, Err: fmt.Errorf("%w: %w", ErrTemplate, err)}
	}
	if out == "" && required {
		return "", &ImportError{ProviderID: providerID, Field: field,
			Err: fmt.Errorf("%w: %s rendered nothing", ErrMissing, quoteTemplate(t.source))}
	}
	return out, nil
}

func quoteTemplate(source string) string {
	return fmt.Sprintf("%q", shorten(source))
}

// emailVerified applies set_email_verification. With import, the address
// counts as verified only when the provider's email_verified claim is true
// (a boolean, or the string "true" some providers send) and the imported
// address is the provider's `email` claim: the claim vouches for that
// address, not for one a template built from other claims.
func emailVerified(v EmailVerification, address string, user map[string]any) bool {
	switch v {
	case VerifyAlways:
		return true
	case VerifyNever:
		return false
	}
	claimed, _ := user["email"].(string)
	return claimIsTrue(user["email_verified"]) && claimed != "" && strings.EqualFold(claimed, address)
}

func claimIsTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(strings.TrimSpace(x), "true")
	}
	return false
}
