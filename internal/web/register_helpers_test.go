package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/domain"
	"mas/internal/web"
)

// newUserPassword passes passwords.minimum_complexity 3.
const newUserPassword = "correct horse battery staple 1984"

// openRegistration is account.password_registration_enabled with upstream's
// defaults (an email address required).
func openRegistration() web.Settings {
	return web.Settings{PasswordRegistrationEnabled: true, PasswordRegistrationEmailRequired: true, MinimumPasswordComplexity: 3}
}

// registrationForm is a valid password form for username.
func registrationForm(username string) map[string]string {
	return map[string]string{
		"username": username, "email": username + "@example.org",
		"password": newUserPassword, "password_confirm": newUserPassword,
	}
}

// submitRegistration fills the password form (from /register/password with
// query) over a valid one for alice and posts it.
func submitRegistration(b *browsertest.Browser, query string, fields map[string]string) *browsertest.Response {
	form := registrationForm("alice")
	for k, v := range fields {
		form[k] = v
	}
	return b.Submit(b.Get("/register/password"+query), form, "")
}

// registrationID reads the registration's ID from a step URL.
func registrationID(t *testing.T, location string) domain.ID {
	t.Helper()
	rest, ok := strings.CutPrefix(location, "/auth/register/steps/")
	if !ok {
		t.Fatalf("not a registration step: %q", location)
	}
	id, err := domain.ParseID(strings.Split(rest, "/")[0])
	if err != nil {
		t.Fatalf("registration step %q: %v", location, err)
	}
	return id
}

func stepPath(id domain.ID, step string) string {
	return "/register/steps/" + id.String() + "/" + step
}

func (e *env) registration(id domain.ID) *domain.UserRegistration {
	e.t.Helper()
	reg, err := e.store.Registrations().Lookup(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return reg
}

var codeCounter atomic.Int64

// mailCode gives the registration's email authentication a fresh code the
// way the send-email-authentication-code job does (AddCode, five minutes),
// and returns it, as read from the mail.
func (e *env) mailCode(id domain.ID) string {
	e.t.Helper()
	reg := e.registration(id)
	if reg.EmailAuthenticationID == nil {
		e.t.Fatalf("registration %s has no email authentication", id)
	}
	code := fmt.Sprintf("%06d", 100000+codeCounter.Add(1)%900000)
	if _, err := e.store.EmailAuthentications().AddCode(context.Background(), *reg.EmailAuthenticationID, code, e.clock.Now().Add(5*time.Minute)); err != nil {
		e.t.Fatal(err)
	}
	return code
}

// verify types code on the verify-email step.
func verify(b *browsertest.Browser, id domain.ID, code string) *browsertest.Response {
	return b.Submit(b.Get(stepPath(id, "verify-email")), map[string]string{"code": code}, "")
}

// wantPage checks status and that the page says each of texts (HTML
// escaping undone).
func wantPage(t *testing.T, what string, res *browsertest.Response, status int, texts ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, res.Status, status, res.Body)
	}
	body := html.UnescapeString(res.Body)
	for _, text := range texts {
		if !strings.Contains(body, text) {
			t.Errorf("%s: page lacks %q\n%s", what, text, res.Body)
		}
	}
}

// registerThroughEmail goes from the password form through the email code
// and returns the registration, now on its display-name step.
func (e *env) registerThroughEmail(b *browsertest.Browser, query string, fields map[string]string) domain.ID {
	e.t.Helper()
	res := submitRegistration(b, query, fields)
	if res.Status != http.StatusSeeOther {
		e.t.Fatalf("registration form: %d\n%s", res.Status, res.Body)
	}
	id := registrationID(e.t, res.Location)
	wantRedirect(e.t, "form", res, "/auth"+stepPath(id, "verify-email"))
	res = verify(b, id, e.mailCode(id))
	wantRedirect(e.t, "code", res, "/auth"+stepPath(id, "finish"))
	wantRedirect(e.t, "finish before the display name", b.Get(stepPath(id, "finish")), "/auth"+stepPath(id, "display-name"))
	return id
}

// setDisplayName submits the display-name step and returns finish's answer.
func setDisplayName(t *testing.T, b *browsertest.Browser, id domain.ID, name string) *browsertest.Response {
	t.Helper()
	res := b.Submit(b.Get(stepPath(id, "display-name")), map[string]string{"display_name": name}, "set")
	wantRedirect(t, "display name", res, "/auth"+stepPath(id, "finish"))
	return b.Get(stepPath(id, "finish"))
}
