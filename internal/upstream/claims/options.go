package claims

import (
	"cmp"
	"fmt"
	"strings"
)

// Action is what to do with an imported attribute.
type Action string

const (
	// ActionIgnore does not import the attribute (the default).
	ActionIgnore Action = "ignore"
	// ActionSuggest offers the value; the user may change or decline it.
	ActionSuggest Action = "suggest"
	// ActionForce imports the value when there is one; without one the
	// user proceeds as if the attribute were ignored.
	ActionForce Action = "force"
	// ActionRequire imports the value and fails the login without one.
	ActionRequire Action = "require"
)

// OnConflict is what to do when a forced or required localpart already
// belongs to a local user. See the package documentation.
type OnConflict string

const (
	ConflictFail    OnConflict = "fail"
	ConflictAdd     OnConflict = "add"
	ConflictReplace OnConflict = "replace"
	ConflictSet     OnConflict = "set"
)

// EmailVerification says whether an imported email address counts as
// verified.
type EmailVerification string

const (
	// VerifyImport marks it verified when the provider says it verified
	// that same address (the default).
	VerifyImport EmailVerification = "import"
	// VerifyAlways marks it verified.
	VerifyAlways EmailVerification = "always"
	// VerifyNever leaves it to be verified with a code.
	VerifyNever EmailVerification = "never"
)

// The templates used when an import names none.
const (
	DefaultSubjectTemplate     = "{{ user.sub }}"
	DefaultLocalpartTemplate   = "{{ user.preferred_username }}"
	DefaultDisplaynameTemplate = "{{ user.name }}"
	DefaultEmailTemplate       = "{{ user.email }}"
)

// Options are one provider's claims_imports. Empty fields take the
// defaults: action ignore, on_conflict fail, set_email_verification
// import, the default templates above, and no account name.
type Options struct {
	// ProviderID names the provider in errors.
	ProviderID string
	// SubjectTemplate renders the subject the link is keyed on.
	SubjectTemplate string
	// SkipConfirmation registers without the confirmation page; it needs
	// a required localpart and no suggested attribute.
	SkipConfirmation bool
	Localpart        LocalpartOptions
	Displayname      AttributeOptions
	Email            EmailOptions
	// AccountNameTemplate renders a name for the upstream account, for
	// display only.
	AccountNameTemplate string
}

// AttributeOptions is the import of the display name.
type AttributeOptions struct {
	Action   Action
	Template string
}

// LocalpartOptions is the import of the Matrix localpart.
type LocalpartOptions struct {
	Action     Action
	Template   string
	OnConflict OnConflict
}

// EmailOptions is the import of the email address.
type EmailOptions struct {
	Action       Action
	Template     string
	Verification EmailVerification
}

func (a Action) valid() bool {
	switch a {
	case "", ActionIgnore, ActionSuggest, ActionForce, ActionRequire:
		return true
	}
	return false
}

func (a Action) orDefault() Action                       { return cmp.Or(a, ActionIgnore) }
func (c OnConflict) orDefault() OnConflict               { return cmp.Or(c, ConflictFail) }
func (v EmailVerification) orDefault() EmailVerification { return cmp.Or(v, VerifyImport) }

// check returns the problems of the options, each against its field.
func (o Options) check() []*CompileError {
	var errs []*CompileError
	bad := func(field, format string, args ...any) {
		errs = append(errs, &CompileError{ProviderID: o.ProviderID, Field: "claims_imports." + field, Err: fmt.Errorf(format, args...)})
	}
	for _, f := range []struct {
		field  string
		action Action
	}{{"localpart.action", o.Localpart.Action}, {"displayname.action", o.Displayname.Action}, {"email.action", o.Email.Action}} {
		if !f.action.valid() {
			bad(f.field, "unknown action %q (want ignore, suggest, force or require)", f.action)
		}
	}
	switch o.Localpart.OnConflict.orDefault() {
	case ConflictFail:
	case ConflictAdd, ConflictReplace, ConflictSet:
		if a := o.Localpart.Action.orDefault(); a != ActionForce && a != ActionRequire {
			bad("localpart.on_conflict", "%q needs localpart.action force or require, not %s", o.Localpart.OnConflict, a)
		}
		// The callback's extra parameters come from the browser: a
		// localpart built from them would let anyone pick the account
		// they are linked to.
		if strings.Contains(o.Localpart.Template, "extra_callback_parameters") {
			bad("localpart.on_conflict", "%q links to existing accounts, so the localpart template must not read extra_callback_parameters (the browser controls them)", o.Localpart.OnConflict)
		}
	default:
		bad("localpart.on_conflict", "unknown value %q (want fail, add, replace or set)", o.Localpart.OnConflict)
	}
	switch o.Email.Verification.orDefault() {
	case VerifyImport, VerifyAlways, VerifyNever:
	default:
		bad("email.set_email_verification", "unknown value %q (want import, always or never)", o.Email.Verification)
	}
	if o.SkipConfirmation {
		if o.Localpart.Action.orDefault() != ActionRequire {
			bad("skip_confirmation", "needs localpart.action require")
		}
		if o.Displayname.Action == ActionSuggest {
			bad("skip_confirmation", "displayname.action cannot be suggest")
		}
		if o.Email.Action == ActionSuggest {
			bad("skip_confirmation", "email.action cannot be suggest")
		}
	}
	return errs
}
