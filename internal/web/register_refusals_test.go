package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"

	"mas/internal/policy"
	"mas/internal/ratelimit"
)

// registrationPolicy bans a username, a domain and an address.
func registrationPolicy(t *testing.T) *policy.Engine {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"server_name":    serverName,
		"registration":   map[string]any{"banned_usernames": map[string]any{"literals": []string{"admin"}}},
		"banned_domains": []string{"spam.example"},
		"emails":         map[string]any{"banned_addresses": map[string]any{"literals": []string{"banned@example.org"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := policy.New(data)
	if err != nil {
		t.Fatal(err)
	}
	return engine
}

// TestRegisterFormRefusals: each refusal is a message next to its field,
// with the other fields kept, and nothing stored or queued.
func TestRegisterFormRefusals(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration(), policy: registrationPolicy(t)})
	e.h.Pages.Branding.TOSURI = "https://example.com/tos"
	e.user("taken", "pw")
	e.hs.AddUser("onhomeserver")

	for _, tc := range []struct {
		name   string
		fields map[string]string
		field  string // the field whose error shows; "" for above the form
		text   string
	}{
		{"username taken here", map[string]string{"username": "taken"}, "username", "already taken"},
		{"username taken on the homeserver", map[string]string{"username": "onhomeserver"}, "username", "already taken"},
		{"username banned by policy", map[string]string{"username": "admin"}, "username", "not allowed on this server"},
		{"username with capitals", map[string]string{"username": "Alice"}, "username", "Use only lowercase letters"},
		{"username all digits", map[string]string{"username": "12345"}, "username", "at least one character that is not a digit"},
		{"username too long", map[string]string{"username": strings.Repeat("a", 250)}, "username", "too long"},
		{"username missing", map[string]string{"username": ""}, "username", "Enter a username"},
		{"email domain banned", map[string]string{"email": "alice@spam.example"}, "email", "this domain cannot be used"},
		{"email address banned", map[string]string{"email": "banned@example.org"}, "email", "cannot be used here"},
		{"email malformed", map[string]string{"email": "alice"}, "email", "Enter an email address like"},
		{"email with a name", map[string]string{"email": "Alice <alice@example.org>"}, "email", "Enter an email address like"},
		{"email missing", map[string]string{"email": ""}, "email", "Enter your email address"},
		{"weak password", map[string]string{"password": "password1", "password_confirm": "password1"}, "password", "too easy to guess"},
		{"password from the username", map[string]string{"username": "zebracornflakes", "password": "zebracornflakes1", "password_confirm": "zebracornflakes1"}, "password", "too easy to guess"},
		{"password missing", map[string]string{"password": "", "password_confirm": ""}, "password", "Enter a password"},
		{"confirmation differs", map[string]string{"password_confirm": newUserPassword + "!"}, "password_confirm", "do not match"},
		{"terms not accepted", map[string]string{"accept_terms": ""}, "accept_terms", "accept the terms of service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields := map[string]string{"accept_terms": "on"}
			for k, v := range tc.fields {
				fields[k] = v
			}
			b := e.browser()
			res := submitRegistration(b, "", fields)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("status %d\n%s", res.Status, res.Body)
			}
			body := html.UnescapeString(res.Body)
			errorAt := strings.Index(body, `id="error-`+tc.field+`"`)
			if errorAt < 0 || !strings.Contains(body[errorAt:], tc.text) {
				t.Errorf("no %q next to %s\n%s", tc.text, tc.field, res.Body)
			}
			if strings.Count(body, `class="field-error"`) != 1 {
				t.Errorf("more than one field error\n%s", res.Body)
			}
			if want := fieldsOrDefault(fields, "email", "alice@example.org"); want != "" && !strings.Contains(body, `value="`+want+`"`) {
				t.Errorf("the email %q was not kept", want)
			}
			if strings.Contains(body, newUserPassword) {
				t.Error("the page echoes the password")
			}
			if b.Cookie("user-registration-sessions") != nil {
				t.Error("a registration was recorded")
			}
		})
	}
	if jobs := e.jobs("send-email-authentication-code"); len(jobs) != 0 {
		t.Errorf("refused forms queued code mails: %v", jobs)
	}
}

func fieldsOrDefault(fields map[string]string, key, def string) string {
	if v, ok := fields[key]; ok {
		return v
	}
	return def
}

// TestRegisterHomeserverDown: when the homeserver cannot say whether the
// username is free, the form says so and nothing is stored.
func TestRegisterHomeserverDown(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	e.hs.SetDown(true)
	res := submitRegistration(e.browser(), "", nil)
	wantPage(t, "form", res, http.StatusServiceUnavailable, "homeserver could not be reached", `value="alice"`)
	if jobs := e.jobs("send-email-authentication-code"); len(jobs) != 0 {
		t.Errorf("queued %v", jobs)
	}
}

// TestRegisterRateLimit: the per-address registration limit counts forms
// about to create a registration, not refused ones.
func TestRegisterRateLimit(t *testing.T) {
	roomy := ratelimit.Rate{Burst: 100, PerSecond: 1}
	e := newEnv(t, envOptions{settings: openRegistration(), limits: &ratelimit.Config{
		LoginPerIP: roomy, LoginPerAccount: roomy, Registration: ratelimit.Rate{Burst: 1, PerSecond: 0.0001},
		AccountRecoveryPerIP: roomy, AccountRecoveryPerAddress: roomy,
		EmailAuthenticationPerIP: roomy, EmailAuthenticationPerAddress: roomy,
		EmailAuthenticationEmailsPerSession: roomy, EmailAuthenticationAttemptPerSession: roomy,
	}})
	b := e.browser()
	if res := submitRegistration(b, "", map[string]string{"password_confirm": "typo"}); res.Status != http.StatusBadRequest {
		t.Fatalf("refused form: %d", res.Status)
	}
	if res := submitRegistration(b, "", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("first registration: %d\n%s", res.Status, res.Body)
	}
	res := submitRegistration(e.browser(), "", registrationForm("bob"))
	wantPage(t, "second registration", res, http.StatusTooManyRequests, "Too many accounts were created from your network", `value="bob"`)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if jobs := e.jobs("send-email-authentication-code"); len(jobs) != 1 {
		t.Errorf("%d code mails queued, want 1", len(jobs))
	}
}

// TestRegisterEmailInUse: an address confirmed by another account is not
// revealed by the form; only after the code proves the address does the
// registration stop, with upstream's email-in-use page.
func TestRegisterEmailInUse(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	ctx := context.Background()
	bob := e.user("bob", "pw")
	if _, err := e.store.UserEmails().Add(ctx, bob.ID, "shared@example.org"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	res := submitRegistration(b, "", map[string]string{"email": "Shared@example.org"})
	id := registrationID(t, res.Location)
	wantRedirect(t, "form with a used address", res, "/auth"+stepPath(id, "verify-email"))
	wantRedirect(t, "code", verify(b, id, e.mailCode(id)), "/auth"+stepPath(id, "finish"))
	wantPage(t, "finish", b.Get(stepPath(id, "finish")), http.StatusConflict, "Shared@example.org already belongs to another account",
		`href="/auth/login"`, `href="/auth/register"`)
	if _, err := e.store.Users().FindByUsername(ctx, "alice"); err == nil {
		t.Error("alice was created")
	}
}

// TestRegisterUsernameTakenMeanwhile: the username is checked again when
// the account is made; if it went meanwhile, nothing is created.
func TestRegisterUsernameTakenMeanwhile(t *testing.T) {
	for name, take := range map[string]func(e *env){
		"here":              func(e *env) { e.user("alice", "pw") },
		"on the homeserver": func(e *env) { e.hs.AddUser("alice") },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{settings: openRegistration()})
			b := e.browser()
			id := e.registerThroughEmail(b, "", nil)
			take(e)
			res := b.Submit(b.Get(stepPath(id, "display-name")), map[string]string{"display_name": "Alice"}, "set")
			wantRedirect(t, "display name", res, "/auth"+stepPath(id, "finish"))
			wantPage(t, "finish", b.Get(stepPath(id, "finish")), http.StatusConflict, "The username alice was taken", "Start again")
			if reg := e.registration(id); reg.CompletedAt != nil {
				t.Error("registration completed")
			}
			if jobs := e.jobs("provision-user"); len(jobs) != 0 {
				t.Errorf("provisioning queued: %v", jobs)
			}
		})
	}
}

// TestRegisterDisplayNameRefusals: an empty name must be skipped instead;
// a too long one is refused.
func TestRegisterDisplayNameRefusals(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	b := e.browser()
	id := e.registerThroughEmail(b, "", nil)
	page := b.Get(stepPath(id, "display-name"))
	wantPage(t, "blank", b.Submit(page, map[string]string{"display_name": "   "}, "set"), http.StatusBadRequest, "or skip this step")
	wantPage(t, "too long", b.Submit(page, map[string]string{"display_name": strings.Repeat("é", 256)}, "set"), http.StatusBadRequest, "too long")
	if reg := e.registration(id); reg.DisplayName != "" {
		t.Errorf("display name stored: %q", reg.DisplayName)
	}
}

// TestRegisterEmailLimit: the code mails of one address are limited
// (email_authentication.per_address) from the first form on.
func TestRegisterEmailLimit(t *testing.T) {
	limits := stepLimits()
	limits.EmailAuthenticationPerAddress = ratelimit.Rate{Burst: 1, PerSecond: 0.0001}
	e := newEnv(t, envOptions{settings: openRegistration(), limits: limits})
	if res := submitRegistration(e.browser(), "", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("first: %d\n%s", res.Status, res.Body)
	}
	res := submitRegistration(e.browser(), "", map[string]string{"username": "alice2"})
	wantPage(t, "same address again", res, http.StatusTooManyRequests, "Too many codes were sent")
	if n := len(e.jobs("send-email-authentication-code")); n != 1 {
		t.Errorf("%d code mails queued, want 1", n)
	}
}
