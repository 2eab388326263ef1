package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Signing out forgets the browser's unfinished flows: the next person at a
// shared browser cannot pick up a registration (or an upstream login) from
// the history.
func TestLogoutForgetsUnfinishedFlows(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	b := e.browser()
	res := submitRegistration(b, "", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("registration form: %d\n%s", res.Status, res.Body)
	}
	id := registrationID(t, res.Location)
	if res := b.Get(stepPath(id, "verify-email")); res.Status != http.StatusOK {
		t.Fatalf("the step before signing out: %d", res.Status)
	}
	if res := b.Post("/logout", url.Values{"csrf": {b.CSRF(stepPath(id, "verify-email"))}}); res.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.Status)
	}
	if res := b.Get(stepPath(id, "verify-email")); res.Status != http.StatusNotFound {
		t.Errorf("the step after signing out: %d, want 404 (the flow is forgotten)", res.Status)
	}
	for _, name := range []string{"user-registration-sessions", "upstream-oauth2-sessions"} {
		if c := b.Cookie(name); c != nil && c.Value != "" {
			t.Errorf("cookie %s kept after signing out", name)
		}
	}
}
