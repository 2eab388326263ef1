package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/testenv"
)

// TestSessionLimitCountsSelfOwnedSessions: the session limit counts only
// the personal sessions a user owns, on every way in. Sessions an
// administrator made for the user do not count, as upstream; the OAuth
// consent path once counted them while the legacy login did not.
func TestSessionLimitCountsSelfOwnedSessions(t *testing.T) {
	backends(t, testSessionLimit)
}

func testSessionLimit(t *testing.T, postgres bool) {
	env := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(c *config.Config) {
		c.Experimental.SessionLimit = &config.SessionLimit{SoftLimit: 2, HardLimit: 2}
	}})
	admin := env.CreateUser("admin", "a passphrase for admin")
	n := 0
	for _, tc := range []struct {
		name           string
		owned, byAdmin int
		allowed        bool
	}{
		{"no sessions", 0, 0, true},
		{"administrator-made sessions only", 0, 3, true},
		{"one owned, administrator-made besides", 1, 3, true},
		{"owned sessions at the limit", 2, 0, false},
	} {
		for _, path := range []string{"legacy login", "OAuth consent"} {
			n++
			name := fmt.Sprintf("limited%d", n)
			t.Run(tc.name+"/"+path, func(t *testing.T) {
				user := env.CreateUser(name, "a passphrase for "+name)
				for i := range tc.owned + tc.byAdmin {
					owner := &user.ID
					if i >= tc.owned {
						owner = &admin.ID
					}
					s := &domain.PersonalSession{OwnerUserID: owner, ActorUserID: user.ID, Scope: []string{domain.ScopeMatrixAPI}}
					if err := env.App.Store.PersonalSessions().Add(context.Background(), s); err != nil {
						t.Fatal(err)
					}
				}
				var allowed bool
				if path == "legacy login" {
					status, body := compatLogin(t, env, name, "a passphrase for "+name, "")
					allowed = status == http.StatusOK
					if !allowed && (status != http.StatusForbidden || !strings.Contains(fmt.Sprint(body["error"]), "device limit")) {
						t.Fatalf("legacy login = %d %v", status, body)
					}
				} else {
					allowed = consentAllowed(t, env, name, "a passphrase for "+name)
				}
				if allowed != tc.allowed {
					t.Fatalf("%s allowed = %v, want %v", path, allowed, tc.allowed)
				}
			})
		}
	}
}

// consentAllowed logs in through the authorization endpoint and reports
// whether the consent page offers to allow, or refuses with the session
// limit.
func consentAllowed(t *testing.T, env *testenv.Env, username, password string) bool {
	t.Helper()
	clientID := registerClient(t, env, "authorization_code", "refresh_token")
	b := browsertest.New(t, env.BaseURL)
	start := env.URL("/authorize?") + "response_type=code&client_id=" + clientID +
		"&redirect_uri=" + redirectURI + "&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
	p := login(t, b, start, username, password)
	if _, _, err := browsertest.FindForm(p.Body, "allow"); err == nil {
		return true
	}
	if !strings.Contains(p.Body, "session") {
		t.Fatalf("the consent page neither allows nor names the session limit:\n%s", p.Body)
	}
	return false
}
