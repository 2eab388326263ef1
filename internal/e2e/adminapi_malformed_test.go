package e2e

import (
	"net/http"
	"testing"
)

// TestAdminAPIMalformedInput sends what no database column can hold and
// sizes at the integer limits: each is a client error (or an empty page),
// never a 500, on both backends.
func TestAdminAPIMalformedInput(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		tok := clientCredentialsToken(t, e, "urn:mas:admin")
		const (
			users  = "/api/admin/v1/users"
			nulErr = "Invalid JSON body: strings must not contain NUL characters"
		)
		for _, c := range []struct {
			method, path string
			body         any
			status       int
			title        string
		}{
			{"GET", users + "?page[first]=9223372036854775807", nil, http.StatusOK, ""},
			{"GET", users + "?page[last]=9223372036854775807", nil, http.StatusOK, ""},
			{"GET", users + "/by-username/%00", nil, http.StatusNotFound, `User with username "\x00" not found`},
			{"GET", users + "/by-username/%FF", nil, http.StatusNotFound, `User with username "\xff" not found`},
			{"GET", users + "?filter[search]=%00", nil, http.StatusBadRequest,
				"Invalid filter parameters: filter[search] is not valid text"},
			{"GET", "/api/admin/v1/user-emails?filter[email]=%FF", nil, http.StatusBadRequest,
				"Invalid filter parameters: filter[email] is not valid text"},
			{"GET", "/api/admin/v1/upstream-oauth-links?filter[subject]=a%00", nil, http.StatusBadRequest,
				"Invalid filter parameters: filter[subject] is not valid text"},
			{"POST", "/api/admin/v1/user-registration-tokens", `{"token":"a\u0000b"}`, http.StatusBadRequest, nulErr},
			{"POST", "/api/admin/v1/policy-data", `{"data":{"x":"a\u0000b"}}`, http.StatusBadRequest, nulErr},
			{"POST", "/api/admin/v1/policy-data", "{\"data\":{\"x\":\"\xff\"}}", http.StatusBadRequest,
				"Invalid JSON body: body is not valid UTF-8"},
			// An escaped backslash before u0000 is no NUL; a lone surrogate
			// is stored as U+FFFD.
			{"POST", "/api/admin/v1/policy-data", `{"data":{"x":"a\\u0000b"}}`, http.StatusCreated, ""},
			{"POST", "/api/admin/v1/policy-data", `{"data":{"x":"a\ud800b"}}`, http.StatusCreated, ""},
			// As upstream's serde: every required field of the body.
			{"POST", "/api/admin/v1/personal-sessions", `{"human_name":"x","scope":"urn:mas:admin"}`,
				http.StatusBadRequest, "Invalid JSON body: missing field `actor_user_id`"},
			{"POST", "/api/admin/v1/personal-sessions", `{"actor_user_id":"01JADM1NC11ENT000000000000","scope":"urn:mas:admin"}`,
				http.StatusBadRequest, "Invalid JSON body: missing field `human_name`"},
		} {
			a := adminCall(t, e, tok, c.method, c.path, c.body)
			if c.title == "" {
				a.expect(t, c.status)
			} else {
				a.expect(t, c.status, c.title)
			}
		}
		latest := adminCall(t, e, tok, "GET", "/api/admin/v1/policy-data/latest", nil).expect(t, http.StatusOK)
		if got := latest.Data.Attributes["data"].(map[string]any)["x"]; got != "a\uFFFDb" {
			t.Errorf("lone surrogate stored as %q", got)
		}
	})
}
