package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/testenv"
)

// TestServedUnderAPrefix: with the service at http://host/auth/ (public
// base and listener prefix), every route answers under /auth/, every URL
// it emits includes the prefix, and a whole login works.
func TestServedUnderAPrefix(t *testing.T) {
	env := testenv.New(t, testenv.Options{Prefix: "/auth"})
	if !strings.HasSuffix(env.BaseURL, "/auth/") {
		t.Fatalf("base %s", env.BaseURL)
	}

	resp, err := http.Get(env.BaseURL + ".well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for key, v := range meta {
		s, ok := v.(string)
		if ok && strings.HasPrefix(s, "http") && !strings.HasPrefix(s, env.BaseURL) {
			t.Errorf("discovery %s = %s, outside %s", key, s, env.BaseURL)
		}
	}

	// The root of the host is not ours.
	resp, err = http.Get(strings.TrimSuffix(env.BaseURL, "auth/") + "health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/health outside the prefix answered %d", resp.StatusCode)
	}

	env.CreateUser("frank", "a passphrase for frank")
	tok, _ := codeFlow(t, env, "frank", "a passphrase for frank", "openid", "urn:matrix:client:api:*")
	if introspect(t, env, tok.AccessToken)["active"] != true {
		t.Fatal("token from the prefixed service is not active")
	}

	// Redirects stay under the prefix too.
	b := browsertest.New(t, env.BaseURL)
	r := b.Get(env.BaseURL + "account")
	if loc := r.Location; loc != "" && !strings.HasPrefix(loc, "/auth/") && !strings.HasPrefix(loc, env.BaseURL) {
		t.Fatalf("redirect to %s leaves the prefix", loc)
	}
}
