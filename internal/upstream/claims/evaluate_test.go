package claims

import (
	"errors"
	"strings"
	"testing"
)

func mustCompile(t *testing.T, o Options) *Mapper {
	t.Helper()
	if o.ProviderID == "" {
		o.ProviderID = "01HPROVIDER"
	}
	m, err := Compile(o)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

// Each action, with the claim present and absent, for each attribute.
func TestEvaluateActions(t *testing.T) {
	type want struct {
		value                       string
		forced, suggested, required bool
		err                         bool
	}
	for _, attr := range []string{"localpart", "displayname", "email"} {
		claim := map[string]string{"localpart": "preferred_username", "displayname": "name", "email": "email"}[attr]
		for _, tc := range []struct {
			action  Action
			present bool
			want    want
		}{
			{ActionIgnore, true, want{}},
			{ActionIgnore, false, want{}},
			{"", true, want{}}, // ignore is the default
			{ActionSuggest, true, want{value: "v", suggested: true}},
			{ActionSuggest, false, want{}},
			{ActionForce, true, want{value: "v", forced: true}},
			{ActionForce, false, want{}},
			{ActionRequire, true, want{value: "v", forced: true, required: true}},
			{ActionRequire, false, want{err: true}},
		} {
			t.Run(attr+"/"+string(tc.action)+"/"+map[bool]string{true: "present", false: "absent"}[tc.present], func(t *testing.T) {
				o := Options{}
				switch attr {
				case "localpart":
					o.Localpart.Action = tc.action
				case "displayname":
					o.Displayname.Action = tc.action
				case "email":
					o.Email.Action = tc.action
				}
				user := map[string]any{"sub": "s"}
				if tc.present {
					user[claim] = "v"
				}
				res, err := mustCompile(t, o).Evaluate(user)
				if tc.want.err {
					var ie *ImportError
					if !errors.As(err, &ie) || !errors.Is(err, ErrMissing) || ie.Field != "claims_imports."+attr {
						t.Fatalf("err = %v, want a missing %s", err, attr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var a Attribute
				switch attr {
				case "localpart":
					a = res.Localpart.Attribute
				case "displayname":
					a = res.Displayname
				case "email":
					a = res.Email.Attribute
				}
				got := want{value: a.Value, forced: a.Forced(), suggested: a.Suggested(), required: a.Required()}
				if got != tc.want {
					t.Errorf("got %+v, want %+v", got, tc.want)
				}
				if a.Present() != (tc.want.value != "") {
					t.Errorf("Present() = %v", a.Present())
				}
				// Import: forced values always, suggested ones when accepted.
				if a.Import(false) != tc.want.forced || a.Import(true) != (tc.want.forced || tc.want.suggested) {
					t.Errorf("Import(false) = %v, Import(true) = %v", a.Import(false), a.Import(true))
				}
			})
		}
	}
}

func TestEvaluateSeedProvider(t *testing.T) {
	// The seed documentation's provider example.
	m := mustCompile(t, Options{
		SubjectTemplate: "{{ user.sub }}",
		Localpart:       LocalpartOptions{Action: ActionForce, Template: "{{ user.preferred_username }}"},
		Displayname:     AttributeOptions{Action: ActionSuggest, Template: "{{ user.name }}"},
		Email:           EmailOptions{Action: ActionSuggest, Template: "{{ user.email }}", Verification: VerifyImport},
	})
	res, err := m.Evaluate(testUser())
	if err != nil {
		t.Fatal(err)
	}
	if res.Subject != "248289761001" || res.Localpart.Value != "Alice" || res.Displayname.Value != "Alice Liddell" ||
		res.Email.Value != "Alice@Example.COM" || !res.Email.Verified || res.Localpart.OnConflict != ConflictFail {
		t.Errorf("got %+v", res)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
}

func TestEvaluateSubject(t *testing.T) {
	for _, tc := range []struct {
		name     string
		template string
		user     map[string]any
		want     string
		err      error
	}{
		{"default", "", map[string]any{"sub": "abc"}, "abc", nil},
		{"numeric id", "{{ user.id }}", map[string]any{"id": float64(583231)}, "583231", nil},
		{"missing", "", map[string]any{"name": "x"}, "", ErrMissing},
		{"empty", "", map[string]any{"sub": ""}, "", ErrMissing},
		{"read through missing", "{{ user.a.b }}", map[string]any{}, "", ErrMissing},
		{"fails", "{{ user.sub | b64decode }}", map[string]any{"sub": "!!"}, "", ErrTemplate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := mustCompile(t, Options{SubjectTemplate: tc.template}).Evaluate(tc.user)
			if tc.err != nil {
				var ie *ImportError
				if !errors.Is(err, tc.err) || !errors.As(err, &ie) || ie.Field != "claims_imports.subject" {
					t.Fatalf("err = %v, want %v on the subject", err, tc.err)
				}
				return
			}
			if err != nil || res.Subject != tc.want {
				t.Fatalf("got %q, %v; want %q", res.Subject, err, tc.want)
			}
		})
	}
}

// A template that fails to render fails the login only when required;
// otherwise it is a warning and no value.
func TestEvaluateRenderFailures(t *testing.T) {
	bad := "{{ user.name | b64decode }}"
	user := map[string]any{"sub": "s", "name": "not base64!", "preferred_username": "alice"}

	res, err := mustCompile(t, Options{
		Localpart:           LocalpartOptions{Action: ActionForce},
		Displayname:         AttributeOptions{Action: ActionForce, Template: bad},
		Email:               EmailOptions{Action: ActionSuggest, Template: bad},
		AccountNameTemplate: bad,
	}).Evaluate(user)
	if err != nil {
		t.Fatal(err)
	}
	if res.Displayname.Present() || res.Email.Present() || res.AccountName != "" || res.Localpart.Value != "alice" {
		t.Errorf("got %+v", res)
	}
	if len(res.Warnings) != 3 {
		t.Fatalf("warnings = %v, want 3", res.Warnings)
	}
	for _, w := range res.Warnings {
		if !errors.Is(w, ErrTemplate) || !strings.Contains(w.Error(), "01HPROVIDER") {
			t.Errorf("warning %q", w)
		}
	}

	_, err = mustCompile(t, Options{Displayname: AttributeOptions{Action: ActionRequire, Template: bad}}).Evaluate(user)
	var ie *ImportError
	if !errors.As(err, &ie) || !errors.Is(err, ErrTemplate) || ie.Field != "claims_imports.displayname" {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, part := range []string{"upstream provider 01HPROVIDER", "claims_imports.displayname", "template failed"} {
		if !strings.Contains(msg, part) {
			t.Errorf("error %q does not mention %q", msg, part)
		}
	}

	// A missing required value names the template, not the claims.
	_, err = mustCompile(t, Options{Email: EmailOptions{Action: ActionRequire}}).Evaluate(user)
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "{{ user.email }}") {
		t.Fatalf("err = %v", err)
	}

	// A limit hit is a template failure too.
	_, err = mustCompile(t, Options{Localpart: LocalpartOptions{Action: ActionRequire, Template: "{{ 'x' * 100000 }}"}}).Evaluate(user)
	if !errors.Is(err, ErrTemplate) || !errors.Is(err, errLimit) {
		t.Fatalf("err = %v", err)
	}
}

// Errors stay short and do not carry the claims.
func TestEvaluateErrorsDoNotDumpClaims(t *testing.T) {
	user := map[string]any{"sub": "s", "secret_claim": strings.Repeat("confidential ", 200), "name": "n"}
	for _, template := range []string{
		"{{ user.split() }}",
		"{{ user.secret_claim.center('x') }}",
		"{{ user.secret_claim.keys() }}",
		"{{ user.secret_claim | b64decode }}",
		"{{ user.secret_claim * 100 }}",
	} {
		_, err := mustCompile(t, Options{Displayname: AttributeOptions{Action: ActionRequire, Template: template}}).Evaluate(user)
		if !errors.Is(err, ErrTemplate) {
			t.Fatalf("%s: err = %v", template, err)
		}
		if len(err.Error()) > 300 || strings.Contains(err.Error(), "confidential") {
			t.Errorf("error for %q carries the claim: %.200q", template, err)
		}
	}
}

func TestEvaluateClaimsVariables(t *testing.T) {
	m := mustCompile(t, Options{
		Displayname: AttributeOptions{Action: ActionForce,
			Template: "{{ user.name }}|{{ id_token_claims.name }}|{{ userinfo_claims.name }}|{{ extra_callback_parameters.user.firstName }}"},
		Email: EmailOptions{Action: ActionForce},
	})
	res, err := m.EvaluateClaims(Claims{
		IDToken:                 map[string]any{"sub": "s", "name": "from-id-token", "email": "a@example.com", "email_verified": true},
		Userinfo:                map[string]any{"name": "from-userinfo", "email": "other@example.com", "email_verified": false},
		ExtraCallbackParameters: map[string]any{"user": map[string]any{"firstName": "Ada"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The ID token wins over userinfo in `user`.
	if want := "from-id-token|from-id-token|from-userinfo|Ada"; res.Displayname.Value != want {
		t.Errorf("displayname = %q, want %q", res.Displayname.Value, want)
	}
	if res.Email.Value != "a@example.com" || !res.Email.Verified {
		t.Errorf("email = %+v", res.Email)
	}
}

// User is the userinfo claims, overridden by the ID token's; either may
// be nil.
func TestClaimsUser(t *testing.T) {
	got := Claims{IDToken: map[string]any{"sub": "1", "name": "id"}, Userinfo: map[string]any{"name": "ui", "picture": "p"}}.User()
	if len(got) != 3 || got["name"] != "id" || got["picture"] != "p" {
		t.Errorf("User() = %v", got)
	}
	if got := (Claims{}).User(); got == nil || len(got) != 0 {
		t.Errorf("Claims{}.User() = %v", got)
	}
}

// set_email_verification × the provider's email_verified claim.
func TestEvaluateEmailVerification(t *testing.T) {
	for _, tc := range []struct {
		name         string
		verification EmailVerification
		claim        any // email_verified; nil means absent
		template     string
		want         bool
	}{
		{"import true", VerifyImport, true, "", true},
		{"import false", VerifyImport, false, "", false},
		{"import absent", VerifyImport, nil, "", false},
		{"import string true", VerifyImport, "true", "", true},
		{"import string TRUE", VerifyImport, "TRUE", "", true},
		{"import string false", VerifyImport, "false", "", false},
		{"import string other", VerifyImport, "yes", "", false},
		{"import number", VerifyImport, float64(1), "", false},
		{"default is import, true", "", true, "", true},
		{"default is import, absent", "", nil, "", false},
		{"import, same address lowercased", VerifyImport, true, "{{ user.email | lower }}", true},
		{"import, another address", VerifyImport, true, "{{ user.preferred_username }}@corp.example", false},
		{"always true", VerifyAlways, true, "", true},
		{"always false", VerifyAlways, false, "", true},
		{"always absent", VerifyAlways, nil, "", true},
		{"always string true", VerifyAlways, "true", "", true},
		{"never true", VerifyNever, true, "", false},
		{"never false", VerifyNever, false, "", false},
		{"never absent", VerifyNever, nil, "", false},
		{"never string true", VerifyNever, "true", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := map[string]any{"sub": "s", "email": "Alice@Example.com", "preferred_username": "alice"}
			if tc.claim != nil {
				user["email_verified"] = tc.claim
			}
			m := mustCompile(t, Options{Email: EmailOptions{Action: ActionForce, Template: tc.template, Verification: tc.verification}})
			res, err := m.Evaluate(user)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Email.Present() || res.Email.Verified != tc.want {
				t.Errorf("email %q verified = %v, want %v", res.Email.Value, res.Email.Verified, tc.want)
			}
		})
	}
}

func TestEvaluateEmptyRenderingIsAbsent(t *testing.T) {
	m := mustCompile(t, Options{
		Localpart:   LocalpartOptions{Action: ActionSuggest, Template: "{% if user.x %}{{ user.x }}{% endif %}"},
		Displayname: AttributeOptions{Action: ActionForce, Template: "{{ user.name | default('') }}"},
	})
	res, err := m.Evaluate(map[string]any{"sub": "s"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Localpart.Present() || res.Displayname.Present() || len(res.Warnings) != 0 {
		t.Errorf("got %+v", res)
	}
	if got := res.Localpart.Resolve(LocalpartCheck{}); got != ResolveChoose {
		t.Errorf("Resolve = %v, want choose", got)
	}
}

func TestEvaluateAccountNameAndSkipConfirmation(t *testing.T) {
	m := mustCompile(t, Options{
		AccountNameTemplate: "{{ user.preferred_username }} ({{ user.email }})",
		SkipConfirmation:    true,
		Localpart:           LocalpartOptions{Action: ActionRequire},
	})
	res, err := m.Evaluate(map[string]any{"sub": "s", "preferred_username": "alice", "email": "a@x"})
	if err != nil {
		t.Fatal(err)
	}
	if res.AccountName != "alice (a@x)" || !res.SkipConfirmation {
		t.Errorf("got %+v", res)
	}
}
