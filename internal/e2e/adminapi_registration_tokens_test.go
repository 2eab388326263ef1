package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/routes"
)

// registrationTokenPath is one token's path, with an action suffix.
func registrationTokenPath(id string, action ...string) string {
	return routes.AdminResource(routes.AdminRegistrationTokens, id) + strings.Join(action, "")
}

// TestAdminAPIRegistrationTokens: create (given or random token, limit,
// expiry), read, list with each filter, edit (null removes, absent keeps),
// revoke and unrevoke, and the bad inputs with upstream's statuses and
// titles.
func TestAdminAPIRegistrationTokens(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		tok := clientCredentialsToken(t, e, "urn:mas:admin")
		call := func(method, path string, body any) apiAnswer { return adminCall(t, e, tok, method, path, body) }
		base := routes.AdminRegistrationTokens

		// A random token, unlimited, never expiring.
		random := call("POST", base, map[string]any{}).expect(t, http.StatusCreated).Data
		if random.Type != "user-registration_token" || random.Links.Self != registrationTokenPath(random.ID) {
			t.Errorf("created: %+v", random)
		}
		a := random.Attributes
		if s, _ := a["token"].(string); len(s) != 12 || a["valid"] != true || a["usage_limit"] != nil ||
			a["times_used"] != float64(0) || a["expires_at"] != nil || a["revoked_at"] != nil || a["last_used_at"] != nil {
			t.Errorf("random token attributes: %v", a)
		}
		// A given token with a limit and an expiry.
		expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		given := call("POST", base, map[string]any{"token": "let-me-in", "usage_limit": 3, "expires_at": expires}).
			expect(t, http.StatusCreated).Data
		if a := given.Attributes; a["token"] != "let-me-in" || a["usage_limit"] != float64(3) || a["expires_at"] != expires.Format(time.RFC3339) {
			t.Errorf("given token attributes: %v", a)
		}
		call("POST", base, map[string]any{"token": "let-me-in"}).expect(t, http.StatusConflict, "A registration token with the same token already exists")
		expired := call("POST", base, map[string]any{"token": "too-late", "expires_at": time.Now().Add(-time.Hour)}).expect(t, http.StatusCreated).Data
		if expired.Attributes["valid"] != false {
			t.Errorf("expired token valid: %v", expired.Attributes)
		}
		got := call("GET", registrationTokenPath(given.ID), nil).expect(t, http.StatusOK).Data
		if got.Attributes["token"] != "let-me-in" || got.ID != given.ID {
			t.Errorf("get: %+v", got)
		}

		// Revoke, twice; unrevoke, twice.
		revoked := call("POST", registrationTokenPath(random.ID, "/revoke"), nil).expect(t, http.StatusOK)
		if revoked.Data.Attributes["revoked_at"] == nil || revoked.Data.Attributes["valid"] != false ||
			revoked.Links.Self != registrationTokenPath(random.ID, "/revoke") {
			t.Errorf("revoked: %+v, links %+v", revoked.Data, revoked.Links)
		}
		call("POST", registrationTokenPath(random.ID, "/revoke"), nil).
			expect(t, http.StatusBadRequest, "Registration token with ID "+random.ID+" is already revoked")

		// Listing with each filter.
		ids := func(path string) []string {
			var out []string
			for _, r := range call("GET", path, nil).expect(t, http.StatusOK).List {
				out = append(out, r.Attributes["token"].(string))
			}
			slices.Sort(out)
			return out
		}
		randomToken := random.Attributes["token"].(string)
		for filter, want := range map[string][]string{
			"":                       {randomToken, "let-me-in", "too-late"},
			"?filter[revoked]=true":  {randomToken},
			"?filter[revoked]=false": {"let-me-in", "too-late"},
			"?filter[expired]=true":  {"too-late"},
			"?filter[expired]=false": {randomToken, "let-me-in"},
			"?filter[valid]=true":    {"let-me-in"},
			"?filter[valid]=false":   {randomToken, "too-late"},
			"?filter[used]=true":     nil,
			"?filter[used]=false":    {randomToken, "let-me-in", "too-late"},
		} {
			slices.Sort(want)
			if got := ids(base + filter); !slices.Equal(got, want) {
				t.Errorf("list %q: %v, want %v", filter, got, want)
			}
		}
		if n := call("GET", base+"?count=only&filter[valid]=false", nil).expect(t, http.StatusOK).Meta; n == nil || n.Count != 2 {
			t.Errorf("count of invalid tokens: %+v", n)
		}
		call("GET", base+"?filter[valid]=maybe", nil).expect(t, http.StatusBadRequest)
		call("GET", base+"?filter[token]=x", nil).expect(t, http.StatusBadRequest)

		unrevoked := call("POST", registrationTokenPath(random.ID, "/unrevoke"), nil).expect(t, http.StatusOK).Data
		if unrevoked.Attributes["revoked_at"] != nil || unrevoked.Attributes["valid"] != true {
			t.Errorf("unrevoked: %v", unrevoked.Attributes)
		}
		call("POST", registrationTokenPath(random.ID, "/unrevoke"), nil).
			expect(t, http.StatusBadRequest, "Registration token with ID "+random.ID+" is not revoked")

		// PUT: an absent key keeps the value, null removes it.
		later := expires.Add(24 * time.Hour)
		edited := call("PUT", registrationTokenPath(given.ID), map[string]any{"expires_at": later}).expect(t, http.StatusOK).Data
		if a := edited.Attributes; a["expires_at"] != later.Format(time.RFC3339) || a["usage_limit"] != float64(3) {
			t.Errorf("after setting the expiry: %v", a)
		}
		edited = call("PUT", registrationTokenPath(given.ID), `{"usage_limit": null}`).expect(t, http.StatusOK).Data
		if a := edited.Attributes; a["expires_at"] != later.Format(time.RFC3339) || a["usage_limit"] != nil {
			t.Errorf("after removing the limit: %v", a)
		}
		edited = call("PUT", registrationTokenPath(given.ID), `{"expires_at": null, "usage_limit": 7}`).expect(t, http.StatusOK).Data
		if a := edited.Attributes; a["expires_at"] != nil || a["usage_limit"] != float64(7) {
			t.Errorf("after removing the expiry and setting a limit: %v", a)
		}
		edited = call("PUT", registrationTokenPath(expired.ID), `{"expires_at": null}`).expect(t, http.StatusOK).Data
		if edited.Attributes["valid"] != true {
			t.Errorf("an expired token without expiry is not valid: %v", edited.Attributes)
		}

		// Bad inputs: nothing changes.
		unknown := "00000000000000000000000000"
		for _, c := range []struct{ method, path string }{
			{"GET", registrationTokenPath(unknown)}, {"PUT", registrationTokenPath(unknown)},
			{"POST", registrationTokenPath(unknown, "/revoke")}, {"POST", registrationTokenPath(unknown, "/unrevoke")},
		} {
			call(c.method, c.path, `{}`).expect(t, http.StatusNotFound, "Registration token with ID "+unknown+" not found")
		}
		call("GET", registrationTokenPath("not-an-id"), nil).expect(t, http.StatusBadRequest)
		for _, body := range []string{`{"usage_limit": -1}`, `{"expires_at": "tomorrow"}`, `{"usage_limit": "3"}`, `{`, `[]`} {
			call("POST", base, body).expect(t, http.StatusBadRequest)
			call("PUT", registrationTokenPath(given.ID), body).expect(t, http.StatusBadRequest)
		}
		if n := call("GET", base+"?count=only", nil).Meta; n == nil || n.Count != 3 {
			t.Errorf("bad inputs created tokens: %+v", n)
		}
		after := call("GET", registrationTokenPath(given.ID), nil).expect(t, http.StatusOK).Data.Attributes
		if after["expires_at"] != nil || after["usage_limit"] != float64(7) {
			t.Errorf("bad inputs changed the token: %v", after)
		}
	})
}
