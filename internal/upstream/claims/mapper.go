package claims

import (
	"errors"
	"fmt"
)

// Mapper is one provider's compiled claims_imports: every template it uses
// parsed once. It is safe for concurrent use.
type Mapper struct {
	opts        Options
	subject     *template
	localpart   *template // nil when the import is ignored
	displayname *template
	email       *template
	accountName *template // nil when no account name template is set
}

// CompileError is a problem in a provider's claims_imports, found when the
// configuration is loaded.
type CompileError struct {
	ProviderID string
	// Field is the key under the provider, e.g.
	// "claims_imports.localpart.template".
	Field string
	Err   error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("upstream provider %s: %s: %v", e.ProviderID, e.Field, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// Compile checks a provider's claims_imports and parses its templates. The
// error joins every problem found, each a *CompileError. Templates of
// ignored imports are not parsed: they are never rendered.
func Compile(o Options) (*Mapper, error) {
	var errs []error
	for _, e := range o.check() {
		errs = append(errs, e)
	}
	m := &Mapper{opts: o}
	parse := func(field, source, fallback string) *template {
		if source == "" {
			source = fallback
		}
		t, err := parseTemplate(source)
		if err != nil {
			errs = append(errs, &CompileError{ProviderID: o.ProviderID, Field: field, Err: err})
		}
		return t
	}
	m.subject = parse("claims_imports.subject.template", o.SubjectTemplate, DefaultSubjectTemplate)
	if o.Localpart.Action.orDefault() != ActionIgnore {
		m.localpart = parse("claims_imports.localpart.template", o.Localpart.Template, DefaultLocalpartTemplate)
	}
	if o.Displayname.Action.orDefault() != ActionIgnore {
		m.displayname = parse("claims_imports.displayname.template", o.Displayname.Template, DefaultDisplaynameTemplate)
	}
	if o.Email.Action.orDefault() != ActionIgnore {
		m.email = parse("claims_imports.email.template", o.Email.Template, DefaultEmailTemplate)
	}
	if o.AccountNameTemplate != "" {
		m.accountName = parse("claims_imports.account_name.template", o.AccountNameTemplate, "")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}
