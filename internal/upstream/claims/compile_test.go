package claims

import (
	"errors"
	"strings"
	"testing"
)

// Parse errors name the provider and the template's key, for config check
// and startup; every problem is reported at once.
func TestCompileReportsParseErrors(t *testing.T) {
	_, err := Compile(Options{
		ProviderID:          "01HQ3KXYZ",
		SubjectTemplate:     "{{ user.sub ",
		Localpart:           LocalpartOptions{Action: ActionForce, Template: "{% macro x() %}{% endmacro %}"},
		Displayname:         AttributeOptions{Action: ActionSuggest, Template: "{{ user.name | nosuchfilter }}"},
		Email:               EmailOptions{Action: ActionRequire, Template: "{% if %}"},
		AccountNameTemplate: "{{ (user.name }}",
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, field := range []string{"subject", "localpart", "displayname", "email", "account_name"} {
		want := "upstream provider 01HQ3KXYZ: claims_imports." + field + ".template: "
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	var ce *CompileError
	if !errors.As(err, &ce) || ce.ProviderID != "01HQ3KXYZ" {
		t.Errorf("not a *CompileError: %v", err)
	}
}

// Templates of ignored imports are never rendered, so never parsed.
func TestCompileSkipsIgnoredImports(t *testing.T) {
	_, err := Compile(Options{
		Localpart:   LocalpartOptions{Template: "{{ broken"},
		Displayname: AttributeOptions{Action: ActionIgnore, Template: "{{ broken"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCompileChecksOptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  Options
		field string
	}{
		{"unknown action", Options{Email: EmailOptions{Action: "always"}}, "claims_imports.email.action"},
		{"unknown on_conflict", Options{Localpart: LocalpartOptions{Action: ActionForce, OnConflict: "merge"}}, "claims_imports.localpart.on_conflict"},
		{"add needs force", Options{Localpart: LocalpartOptions{Action: ActionSuggest, OnConflict: ConflictAdd}}, "claims_imports.localpart.on_conflict"},
		{"set needs force", Options{Localpart: LocalpartOptions{OnConflict: ConflictSet}}, "claims_imports.localpart.on_conflict"},
		{"linking by browser-controlled parameters", Options{Localpart: LocalpartOptions{Action: ActionRequire, OnConflict: ConflictAdd,
			Template: "{{ extra_callback_parameters.user }}"}}, "claims_imports.localpart.on_conflict"},
		{"unknown verification", Options{Email: EmailOptions{Verification: "sometimes"}}, "claims_imports.email.set_email_verification"},
		{"skip needs require", Options{SkipConfirmation: true, Localpart: LocalpartOptions{Action: ActionForce}}, "claims_imports.skip_confirmation"},
		{"skip refuses suggest", Options{SkipConfirmation: true, Localpart: LocalpartOptions{Action: ActionRequire},
			Email: EmailOptions{Action: ActionSuggest}}, "claims_imports.skip_confirmation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.ProviderID = "p1"
			_, err := Compile(tc.opts)
			var ce *CompileError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("err = %v, want one on %s", err, tc.field)
			}
		})
	}
	for _, ok := range []Options{
		{Localpart: LocalpartOptions{Action: ActionRequire, OnConflict: ConflictReplace}},
		{Localpart: LocalpartOptions{Action: ActionForce, OnConflict: ConflictSet}},
		{SkipConfirmation: true, Localpart: LocalpartOptions{Action: ActionRequire}, Email: EmailOptions{Action: ActionForce}},
	} {
		if _, err := Compile(ok); err != nil {
			t.Errorf("Compile(%+v): %v", ok, err)
		}
	}
}
