package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"mas/internal/routes"
	"mas/internal/testenv"
)

// registerClientWithoutURI asks the client registration endpoint for a
// client without client_uri, which the policy refuses unless
// client_registration.allow_missing_client_uri is set; it returns the status.
func registerClientWithoutURI(t *testing.T, e *testenv.Env) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"application_type": "native", "redirect_uris": []string{redirectURI}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
	})
	resp, err := http.Post(e.URL("/oauth2/registration"), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAdminAPIPolicyData: posted policy data is checked, stored, readable
// as the latest and by ID, and in effect at once without a restart; a later
// version replaces it; invalid data is refused and nothing is stored.
func TestAdminAPIPolicyData(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		tok := clientCredentialsToken(t, e, "urn:mas:admin")
		call := func(method, path string, body any) apiAnswer { return adminCall(t, e, tok, method, path, body) }

		call("GET", routes.AdminPolicyDataLatest, nil).expect(t, http.StatusNotFound, "No policy data found")
		if got := registerClientWithoutURI(t, e); got != http.StatusBadRequest {
			t.Fatalf("client without client_uri before any policy data: %d", got)
		}

		// Invalid data: refused with the reason, nothing stored.
		for body, reason := range map[string]string{
			`{"data": {"client_registration": {"allow_missing_client_uri": "yes"}}}`: "allow_missing_client_uri",
			`{"data": [1]}`:                        "must be an object",
			`{"data": {"admin_clients": "all"}}`:   "admin_clients",
			`{"data": {"allowed_domains": ["["]}}`: "allowed_domains",
		} {
			a := call("POST", routes.AdminPolicyData, body).expect(t, http.StatusBadRequest, "Failed to instanciate policy with the provided data")
			if len(a.Errors) != 2 || !strings.Contains(a.Errors[1].Title, reason) {
				t.Errorf("%s: errors %+v, want the reason %q second", body, a.Errors, reason)
			}
		}
		for _, body := range []string{`{`, `{}`, `{"data": {}} {}`} {
			call("POST", routes.AdminPolicyData, body).expect(t, http.StatusBadRequest)
		}
		call("GET", routes.AdminPolicyDataLatest, nil).expect(t, http.StatusNotFound, "No policy data found")

		// Valid data: stored and in effect at once.
		set := call("POST", routes.AdminPolicyData, `{"data": {"client_registration": {"allow_missing_client_uri": true}}}`).
			expect(t, http.StatusCreated).Data
		self := routes.AdminResource(routes.AdminPolicyData, set.ID)
		data, _ := json.Marshal(set.Attributes["data"])
		if set.Type != "policy-data" || set.Links.Self != self || set.Attributes["created_at"] == nil ||
			string(data) != `{"client_registration":{"allow_missing_client_uri":true}}` {
			t.Errorf("created: %+v, data %s", set, data)
		}
		if got := registerClientWithoutURI(t, e); got != http.StatusCreated {
			t.Errorf("client without client_uri after the policy data: %d", got)
		}
		if got := call("GET", routes.AdminPolicyDataLatest, nil).expect(t, http.StatusOK).Data; got.ID != set.ID {
			t.Errorf("latest: %+v", got)
		}
		if got := call("GET", self, nil).expect(t, http.StatusOK).Data; got.ID != set.ID || got.Attributes["data"] == nil {
			t.Errorf("by ID: %+v", got)
		}
		// The static admin_clients still apply: dynamic data merges over them.
		call("GET", routes.AdminPolicyDataLatest, nil).expect(t, http.StatusOK)
		clientCredentialsToken(t, e, "urn:mas:admin")

		// A later version replaces the earlier one.
		next := call("POST", routes.AdminPolicyData, map[string]any{"data": map[string]any{}}).expect(t, http.StatusCreated).Data
		if got := registerClientWithoutURI(t, e); got != http.StatusBadRequest {
			t.Errorf("client without client_uri after the policy data was replaced: %d", got)
		}
		if got := call("GET", routes.AdminPolicyDataLatest, nil).expect(t, http.StatusOK).Data; got.ID != next.ID {
			t.Errorf("latest after the second version: %+v", got)
		}

		unknown := "00000000000000000000000000"
		call("GET", routes.AdminResource(routes.AdminPolicyData, unknown), nil).
			expect(t, http.StatusNotFound, "Policy data with ID "+unknown+" not found")
		call("GET", routes.AdminResource(routes.AdminPolicyData, "nope"), nil).expect(t, http.StatusBadRequest)
	})
}
