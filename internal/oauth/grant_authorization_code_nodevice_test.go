package oauth

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
)

// A scope that names no device takes the exchange's shortest path (one
// statement on PostgreSQL, no transaction around it); the other
// authorization-code tests ask for a device and take the transaction.
// These repeat the replay and refusal cases on that path (the race is in
// TestAuthorizationCodeConcurrentExchange).

var noDeviceScope = grantOpts{scope: []string{"openid"}}

func TestAuthorizationCodeReplayWithoutDevice(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	g := e.fulfilledGrant(c, e.login(e.user("alice")), noDeviceScope)
	access := wantTokenOK(t, e.tokenRequest(codeForm(c, g)))["access_token"].(string)

	e.clock.Advance(codeReplayGrace)
	wantTokenError(t, e.tokenRequest(codeForm(c, g)), http.StatusBadRequest, ErrInvalidGrant)
	if !e.active(access) {
		t.Fatal("a replay within the grace period ended the session")
	}
	e.clock.Advance(2 * time.Second)
	wantTokenError(t, e.tokenRequest(codeForm(c, g)), http.StatusBadRequest, ErrInvalidGrant)
	if e.active(access) {
		t.Fatal("the session survived a replay after the grace period")
	}
}

// TestAuthorizationCodeWithoutDeviceRefused: an ended approving session, a
// locked user and an unknown code are refused, and nothing is written.
func TestAuthorizationCodeWithoutDeviceRefused(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	c := e.client()
	wantRefused := func(what string, g *domain.AuthorizationGrant, reason string) {
		t.Helper()
		m := wantTokenError(t, e.tokenRequest(codeForm(c, g)), http.StatusBadRequest, ErrInvalidGrant)
		if d, _ := m["error_description"].(string); !strings.Contains(d, reason) {
			t.Errorf("%s: error_description %q, want it to say %q", what, d, reason)
		}
	}

	alice := e.user("alice")
	g := e.fulfilledGrant(c, e.login(alice), noDeviceScope)
	if _, err := e.db.BrowserSessions().FinishAllForUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	wantRefused("ended browser session", g, "has ended")

	bob := e.user("bob")
	g = e.fulfilledGrant(c, e.login(bob), noDeviceScope)
	bob.Lock(e.clock.Now())
	if err := e.db.Users().Update(ctx, bob); err != nil {
		t.Fatal(err)
	}
	wantRefused("locked user", g, "locked")

	unknown := *g
	unknown.Code = "not-a-code"
	wantRefused("unknown code", &unknown, "unknown")

	if n := e.count(`SELECT COUNT(*) FROM oauth2_sessions`); n != 0 {
		t.Fatalf("%d sessions written by refused exchanges", n)
	}
}
