package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// upstreamOperations are the operations of upstream's Admin API document
// (method, path, operationId), which ours must list exactly.
var upstreamOperations = []struct{ Method, Path, OperationID string }{
	{"GET", "/api/admin/v1/site-config", "siteConfig"},
	{"GET", "/api/admin/v1/version", "version"},
	{"GET", "/api/admin/v1/compat-sessions", "listCompatSessions"},
	{"GET", "/api/admin/v1/compat-sessions/{id}", "getCompatSession"},
	{"POST", "/api/admin/v1/compat-sessions/{id}/finish", "finishCompatSession"},
	{"GET", "/api/admin/v1/oauth2-clients", "listOAuth2Clients"},
	{"GET", "/api/admin/v1/oauth2-clients/{id}", "getOAuth2Client"},
	{"GET", "/api/admin/v1/oauth2-sessions", "listOAuth2Sessions"},
	{"GET", "/api/admin/v1/oauth2-sessions/{id}", "getOAuth2Session"},
	{"POST", "/api/admin/v1/oauth2-sessions/{id}/finish", "finishOAuth2Session"},
	{"GET", "/api/admin/v1/personal-sessions", "listPersonalSessions"},
	{"POST", "/api/admin/v1/personal-sessions", "createPersonalSession"},
	{"GET", "/api/admin/v1/personal-sessions/{id}", "getPersonalSession"},
	{"POST", "/api/admin/v1/personal-sessions/{id}/revoke", "revokePersonalSession"},
	{"POST", "/api/admin/v1/personal-sessions/{id}/regenerate", "regeneratePersonalSession"},
	{"POST", "/api/admin/v1/policy-data", "setPolicyData"},
	{"GET", "/api/admin/v1/policy-data/latest", "getLatestPolicyData"},
	{"GET", "/api/admin/v1/policy-data/{id}", "getPolicyData"},
	{"GET", "/api/admin/v1/users", "listUsers"},
	{"POST", "/api/admin/v1/users", "createUser"},
	{"GET", "/api/admin/v1/users/{id}", "getUser"},
	{"POST", "/api/admin/v1/users/{id}/set-password", "setUserPassword"},
	{"GET", "/api/admin/v1/users/by-username/{username}", "getUserByUsername"},
	{"POST", "/api/admin/v1/users/{id}/set-admin", "userSetAdmin"},
	{"POST", "/api/admin/v1/users/{id}/deactivate", "deactivateUser"},
	{"POST", "/api/admin/v1/users/{id}/reactivate", "reactivateUser"},
	{"POST", "/api/admin/v1/users/{id}/lock", "lockUser"},
	{"POST", "/api/admin/v1/users/{id}/unlock", "unlockUser"},
	{"GET", "/api/admin/v1/user-emails", "listUserEmails"},
	{"POST", "/api/admin/v1/user-emails", "addUserEmail"},
	{"GET", "/api/admin/v1/user-emails/{id}", "getUserEmail"},
	{"DELETE", "/api/admin/v1/user-emails/{id}", "deleteUserEmail"},
	{"GET", "/api/admin/v1/user-sessions", "listUserSessions"},
	{"GET", "/api/admin/v1/user-sessions/{id}", "getUserSession"},
	{"POST", "/api/admin/v1/user-sessions/{id}/finish", "finishUserSession"},
	{"GET", "/api/admin/v1/user-registration-tokens", "listUserRegistrationTokens"},
	{"POST", "/api/admin/v1/user-registration-tokens", "addUserRegistrationToken"},
	{"GET", "/api/admin/v1/user-registration-tokens/{id}", "getUserRegistrationToken"},
	{"PUT", "/api/admin/v1/user-registration-tokens/{id}", "updateUserRegistrationToken"},
	{"POST", "/api/admin/v1/user-registration-tokens/{id}/revoke", "revokeUserRegistrationToken"},
	{"POST", "/api/admin/v1/user-registration-tokens/{id}/unrevoke", "unrevokeUserRegistrationToken"},
	{"GET", "/api/admin/v1/upstream-oauth-links", "listUpstreamOAuthLinks"},
	{"POST", "/api/admin/v1/upstream-oauth-links", "addUpstreamOAuthLink"},
	{"GET", "/api/admin/v1/upstream-oauth-links/{id}", "getUpstreamOAuthLink"},
	{"DELETE", "/api/admin/v1/upstream-oauth-links/{id}", "deleteUpstreamOAuthLink"},
	{"GET", "/api/admin/v1/upstream-oauth-providers", "listUpstreamOAuthProviders"},
	{"GET", "/api/admin/v1/upstream-oauth-providers/{id}", "getUpstreamOAuthProvider"},
}

// TestAdminAPISpec fetches the served OpenAPI document and holds it to the
// server: every operation it lists is answered by its handler, the other
// methods on its paths are not served, and the operations are upstream's.
func TestAdminAPISpec(t *testing.T) {
	e := adminEnv(t, false)
	token := clientCredentialsToken(t, e, "urn:mas:admin")
	resp, err := http.Get(e.URL("/api/spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("spec: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	checkOpenAPIStructure(t, doc)
	if servers, _ := doc["servers"].([]any); len(servers) != 1 || servers[0].(map[string]any)["url"] != strings.TrimSuffix(e.URL("/"), "/") {
		t.Errorf("servers %v, want the public base %s", doc["servers"], e.URL("/"))
	}

	type op struct{ Method, Path, OperationID string }
	var documented []op
	for path, ops := range doc["paths"].(map[string]any) {
		for method, o := range ops.(map[string]any) {
			documented = append(documented, op{strings.ToUpper(method), path, o.(map[string]any)["operationId"].(string)})
		}
	}
	concrete := strings.NewReplacer("{id}", unknownID, "{username}", "nobody-at-all")
	for _, o := range documented {
		// Bodies are malformed so that no call changes anything.
		var body any
		if o.Method == "POST" || o.Method == "PUT" {
			body = "{"
		}
		ans := adminCall(t, e, token, o.Method, concrete.Replace(o.Path), body)
		if ans.Status == http.StatusMethodNotAllowed || ans.Status == http.StatusNotFound && ans.Title() == "Not found" {
			t.Errorf("%s %s (%s) is documented but not served: %d %q", o.Method, o.Path, o.OperationID, ans.Status, ans.Title())
		}
		if ans.Status == http.StatusUnauthorized || ans.Status == http.StatusForbidden {
			t.Errorf("%s %s refused the admin token: %d %q", o.Method, o.Path, ans.Status, ans.Title())
		}
	}
	// On the documented paths, every other method reaches no handler.
	for _, path := range slices.Compact(slices.Sorted(func(yield func(string) bool) {
		for _, o := range documented {
			if !yield(o.Path) {
				return
			}
		}
	})) {
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.ContainsFunc(documented, func(o op) bool { return o.Path == path && o.Method == method }) {
				continue
			}
			ans := adminCall(t, e, token, method, concrete.Replace(path), nil)
			if ans.Status != http.StatusMethodNotAllowed && (ans.Status != http.StatusNotFound || ans.Title() != "Not found") {
				t.Errorf("%s %s is served (%d %q) but not documented", method, path, ans.Status, ans.Title())
			}
		}
	}

	var want, got []string
	for _, o := range upstreamOperations {
		want = append(want, o.Method+" "+o.Path+" "+o.OperationID)
	}
	for _, o := range documented {
		got = append(got, o.Method+" "+o.Path+" "+o.OperationID)
	}
	slices.Sort(want)
	slices.Sort(got)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing upstream operation %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("operation %s is not upstream's", g)
		}
	}
}

// checkOpenAPIStructure checks the version, that every $ref resolves and
// that operationIds are unique.
func checkOpenAPIStructure(t *testing.T, doc map[string]any) {
	t.Helper()
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", v)
	}
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				if name, found := strings.CutPrefix(r, "#/components/schemas/"); !found || schemas[name] == nil {
					t.Errorf("$ref %s does not resolve", r)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	seen := map[string]bool{}
	for _, ops := range doc["paths"].(map[string]any) {
		for _, o := range ops.(map[string]any) {
			id, _ := o.(map[string]any)["operationId"].(string)
			if id == "" || seen[id] {
				t.Errorf("operationId %q empty or repeated", id)
			}
			seen[id] = true
		}
	}
	schemes, _ := components["securitySchemes"].(map[string]any)
	if schemes["oauth2"] == nil || schemes["token"] == nil {
		t.Errorf("security schemes %v", schemes)
	}
}

// TestAdminAPIDocPage renders the documentation page from the same table,
// without the network: every operation of the document is on it.
func TestAdminAPIDocPage(t *testing.T) {
	e := adminEnv(t, false)
	resp, err := http.Get(e.URL("/api/doc/"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	page := string(raw)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("doc page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`id="listUpstreamOAuthLinks"`, "/api/admin/v1/upstream-oauth-links/{id}", "filter[human-account-name]",
		"human_account_name", "registration_token_required", "/api/spec.json",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("doc page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script src=") || strings.Contains(page, "https://cdn") {
		t.Error("doc page loads remote code")
	}
}

// TestGraphQLNotAdvertised: the default listener names the graphql
// resource, which this version does not serve; discovery must not send
// clients to it.
func TestGraphQLNotAdvertised(t *testing.T) {
	e := adminEnv(t, false)
	resp, err := http.Get(e.URL("/.well-known/openid-configuration"))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	err = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if err != nil || md["issuer"] == nil {
		t.Fatalf("discovery: %v %v", md, err)
	}
	if v, ok := md["org.matrix.matrix-authentication-service.graphql_endpoint"]; ok {
		t.Errorf("discovery advertises GraphQL at %v", v)
	}
	resp, err = http.Post(e.URL("/graphql"), "application/json", strings.NewReader(`{"query":"{viewer{__typename}}"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /graphql: %d, want 404", resp.StatusCode)
	}
}
