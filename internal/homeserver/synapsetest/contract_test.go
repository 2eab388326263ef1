package synapsetest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"mas/internal/homeserver/homeservertest"
)

// The fake homeserver (homeservertest) stands in for Synapse in the fast
// tests. TestFakeMatchesSynapse keeps it honest: it sends the same
// sequence of requests to the fake and to real Synapse, both introspecting
// tokens with the same stub service, and requires the same answers: status
// code, Matrix error code and message, and body.

// step is one request of the sequence.
type step struct {
	name   string
	method string
	path   string
	// auth is "secret" (the shared secret), "wrong" (another secret),
	// "" (no Authorization header) or an access token for the stub.
	auth string
	// body is sent as is, with a JSON content type, when not empty.
	body string
}

// stubIntrospection answers the homeservers' introspection requests from a
// table of tokens, like this service would for such tokens.
func stubIntrospection(t *testing.T, secret, user string) *httptest.Server {
	active := func(fields string) string {
		return `{"active":true,"username":"` + user + `","token_type":"access_token",` + fields + `}`
	}
	answers := map[string]string{
		"tok-inactive":     `{"active":false}`,
		"tok-good":         active(`"scope":"urn:matrix:client:api:* urn:matrix:client:device:DEV1"`),
		"tok-unstable":     active(`"scope":"urn:matrix:org.matrix.msc2967.client:api:* urn:matrix:org.matrix.msc2967.client:device:DEV1"`),
		"tok-device-field": active(`"scope":"urn:matrix:client:api:*","device_id":"DEV1"`),
		"tok-no-device":    active(`"scope":"urn:matrix:client:api:*"`),
		"tok-no-api":       active(`"scope":"openid urn:matrix:client:device:DEV1"`),
		"tok-gone-device":  active(`"scope":"urn:matrix:client:api:* urn:matrix:client:device:GONE"`),
		"tok-two-devices":  active(`"scope":"urn:matrix:client:api:* urn:matrix:client:device:DEV1 urn:matrix:org.matrix.msc2967.client:device:DEV2"`),
		"tok-long-device":  active(`"scope":"urn:matrix:client:api:*","device_id":"` + strings.Repeat("D", 256) + `"`),
		"tok-expired":      active(`"scope":"urn:matrix:client:api:*","expires_in":0`),
		"tok-future":       active(`"scope":"urn:matrix:client:api:*","expires_in":3600`),
		"tok-no-username":  `{"active":true,"scope":"urn:matrix:client:api:*"}`,
		"tok-unknown-user": `{"active":true,"username":"nobody-at-all","scope":"urn:matrix:client:api:*"}`,
		"tok-bad-active":   `{"active":"yes"}`,
		"tok-not-json":     `not json`,
		"tok-array":        `[]`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth2/introspect" || r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, "unexpected request", http.StatusUnauthorized)
			return
		}
		_ = r.ParseForm()
		token := r.PostForm.Get("token")
		if token == "tok-error" {
			http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
			return
		}
		answer, ok := answers[token]
		if !ok {
			answer = `{"active":false}`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// contractSteps is the sequence, for a user and a second user that both
// homeservers lack at the start.
func contractSteps(u, other string) []step {
	lp := func(extra string) string {
		if extra != "" {
			extra = "," + extra
		}
		return `{"localpart":"` + u + `"` + extra + `}`
	}
	return []step{
		// Authentication of the service API.
		{"no auth", "GET", "/_synapse/mas/query_user?localpart=" + u, "", ""},
		{"wrong secret", "GET", "/_synapse/mas/query_user?localpart=" + u, "wrong", ""},
		{"unknown endpoint", "GET", "/_synapse/mas/bogus", "secret", ""},
		{"wrong method", "GET", "/_synapse/mas/provision_user", "secret", ""},

		// Users.
		{"query unknown", "GET", "/_synapse/mas/query_user?localpart=" + u, "secret", ""},
		{"query without localpart", "GET", "/_synapse/mas/query_user", "secret", ""},
		{"available without localpart", "GET", "/_synapse/mas/is_localpart_available", "secret", ""},
		{"available", "GET", "/_synapse/mas/is_localpart_available?localpart=" + u, "secret", ""},
		{"available: capitals", "GET", "/_synapse/mas/is_localpart_available?localpart=Alice", "secret", ""},
		{"available: space", "GET", "/_synapse/mas/is_localpart_available?localpart=a%20b", "secret", ""},
		{"available: numeric", "GET", "/_synapse/mas/is_localpart_available?localpart=12345", "secret", ""},
		{"available: underscore", "GET", "/_synapse/mas/is_localpart_available?localpart=_hidden", "secret", ""},
		{"available: empty", "GET", "/_synapse/mas/is_localpart_available?localpart=", "secret", ""},
		{"available: too long", "GET", "/_synapse/mas/is_localpart_available?localpart=" + strings.Repeat("a", 300), "secret", ""},
		{"available: non-ascii", "GET", "/_synapse/mas/is_localpart_available?localpart=%C3%A9", "secret", ""},
		{"provision: not JSON", "POST", "/_synapse/mas/provision_user", "secret", "{"},
		{"provision: not an object", "POST", "/_synapse/mas/provision_user", "secret", "[]"},
		{"provision: no localpart", "POST", "/_synapse/mas/provision_user", "secret", `{"locked":false}`},
		{"provision: localpart not a string", "POST", "/_synapse/mas/provision_user", "secret", `{"localpart":1}`},
		{"provision: set and unset", "POST", "/_synapse/mas/provision_user", "secret", lp(`"set_displayname":"A","unset_displayname":true`)},
		{"provision: new", "POST", "/_synapse/mas/provision_user", "secret", lp(`"set_displayname":"First Name","set_emails":["a@example.org"],"locked":false`)},
		{"provision: again", "POST", "/_synapse/mas/provision_user", "secret", lp(`"set_emails":["b@example.org"],"locked":true`)},
		{"query provisioned", "GET", "/_synapse/mas/query_user?localpart=" + u, "secret", ""},
		{"available: taken", "GET", "/_synapse/mas/is_localpart_available?localpart=" + u, "secret", ""},
		{"available: taken, other case", "GET", "/_synapse/mas/is_localpart_available?localpart=" + strings.ToUpper(u), "secret", ""},
		{"unset name and emails", "POST", "/_synapse/mas/provision_user", "secret", lp(`"unset_displayname":true,"unset_emails":true,"locked":false`)},
		{"query unset", "GET", "/_synapse/mas/query_user?localpart=" + u, "secret", ""},
		{"set display name", "POST", "/_synapse/mas/set_displayname", "secret", lp(`"displayname":"Second Name"`)},
		{"set display name: missing", "POST", "/_synapse/mas/set_displayname", "secret", lp("")},
		{"set display name: unknown user", "POST", "/_synapse/mas/set_displayname", "secret", `{"localpart":"` + other + `","displayname":"X"}`},
		{"query named", "GET", "/_synapse/mas/query_user?localpart=" + u, "secret", ""},
		{"unset display name", "POST", "/_synapse/mas/unset_displayname", "secret", lp("")},
		{"cross-signing reset", "POST", "/_synapse/mas/allow_cross_signing_reset", "secret", lp("")},
		{"cross-signing reset: unknown user", "POST", "/_synapse/mas/allow_cross_signing_reset", "secret", `{"localpart":"` + other + `"}`},

		// Devices.
		{"upsert: new", "POST", "/_synapse/mas/upsert_device", "secret", lp(`"device_id":"DEV1","display_name":"Laptop"`)},
		{"upsert: again", "POST", "/_synapse/mas/upsert_device", "secret", lp(`"device_id":"DEV1"`)},
		{"upsert: no device", "POST", "/_synapse/mas/upsert_device", "secret", lp("")},
		{"upsert: unknown user", "POST", "/_synapse/mas/upsert_device", "secret", `{"localpart":"` + other + `","device_id":"X"}`},
		{"rename", "POST", "/_synapse/mas/update_device_display_name", "secret", lp(`"device_id":"DEV1","display_name":"Desk"`)},
		{"rename: unknown device", "POST", "/_synapse/mas/update_device_display_name", "secret", lp(`"device_id":"NOPE","display_name":"Desk"`)},
		{"rename: no name", "POST", "/_synapse/mas/update_device_display_name", "secret", lp(`"device_id":"DEV1"`)},
		{"sync: add DEV2, DEV3", "POST", "/_synapse/mas/sync_devices", "secret", lp(`"devices":["DEV1","DEV2","DEV3"]`)},
		{"sync: not a list", "POST", "/_synapse/mas/sync_devices", "secret", lp(`"devices":"DEV1"`)},
		{"delete device", "POST", "/_synapse/mas/delete_device", "secret", lp(`"device_id":"DEV3"`)},
		{"delete device: unknown", "POST", "/_synapse/mas/delete_device", "secret", lp(`"device_id":"NOPE"`)},

		// Tokens, introspected with the stub.
		{"versions", "GET", "/_matrix/client/versions", "", ""},
		{"whoami: no token", "GET", "/_matrix/client/v3/account/whoami", "", ""},
		{"whoami", "GET", "/_matrix/client/v3/account/whoami", "tok-good", ""},
		{"whoami: r0", "GET", "/_matrix/client/r0/account/whoami", "tok-good", ""},
		// Synapse does not enforce its own lock flag on delegated tokens:
		// the service's introspection answer alone decides.
		{"lock", "POST", "/_synapse/mas/provision_user", "secret", lp(`"locked":true`)},
		{"whoami: locked on Synapse", "GET", "/_matrix/client/v3/account/whoami", "tok-unstable", ""},
		{"unlock", "POST", "/_synapse/mas/provision_user", "secret", lp(`"locked":false`)},
		{"legacy login is not Synapse's", "POST", "/_matrix/client/v3/login", "", `{"type":"m.login.password"}`},
		{"refresh is not Synapse's", "POST", "/_matrix/client/v3/refresh", "", `{"refresh_token":"x"}`},
		{"whoami: unstable scopes", "GET", "/_matrix/client/v3/account/whoami", "tok-unstable", ""},
		{"whoami: device_id field", "GET", "/_matrix/client/v3/account/whoami", "tok-device-field", ""},
		{"whoami: no device", "GET", "/_matrix/client/v3/account/whoami", "tok-no-device", ""},
		{"whoami: inactive", "GET", "/_matrix/client/v3/account/whoami", "tok-inactive", ""},
		{"whoami: no API scope", "GET", "/_matrix/client/v3/account/whoami", "tok-no-api", ""},
		{"whoami: device gone", "GET", "/_matrix/client/v3/account/whoami", "tok-gone-device", ""},
		{"whoami: two devices", "GET", "/_matrix/client/v3/account/whoami", "tok-two-devices", ""},
		{"whoami: long device", "GET", "/_matrix/client/v3/account/whoami", "tok-long-device", ""},
		{"whoami: expired", "GET", "/_matrix/client/v3/account/whoami", "tok-expired", ""},
		{"whoami: expires later", "GET", "/_matrix/client/v3/account/whoami", "tok-future", ""},
		{"whoami: no username", "GET", "/_matrix/client/v3/account/whoami", "tok-no-username", ""},
		{"whoami: unknown user", "GET", "/_matrix/client/v3/account/whoami", "tok-unknown-user", ""},
		{"whoami: bad answer", "GET", "/_matrix/client/v3/account/whoami", "tok-bad-active", ""},
		{"whoami: not JSON", "GET", "/_matrix/client/v3/account/whoami", "tok-not-json", ""},
		{"whoami: array", "GET", "/_matrix/client/v3/account/whoami", "tok-array", ""},
		{"whoami: service error", "GET", "/_matrix/client/v3/account/whoami", "tok-error", ""},
		{"sync away DEV1", "POST", "/_synapse/mas/sync_devices", "secret", lp(`"devices":["DEV2"]`)},
		{"whoami: device synced away", "GET", "/_matrix/client/v3/account/whoami", "tok-good", ""},

		// Deactivation.
		{"delete user", "POST", "/_synapse/mas/delete_user", "secret", lp(`"erase":false`)},
		{"query deactivated", "GET", "/_synapse/mas/query_user?localpart=" + u, "secret", ""},
		{"delete user: unknown", "POST", "/_synapse/mas/delete_user", "secret", `{"localpart":"` + other + `","erase":false}`},
		{"reactivate", "POST", "/_synapse/mas/reactivate_user", "secret", lp("")},
		{"query reactivated", "GET", "/_synapse/mas/query_user?localpart=" + u, "secret", ""},
		{"reactivate: unknown", "POST", "/_synapse/mas/reactivate_user", "secret", `{"localpart":"` + other + `"}`},
	}
}

// answer is what a homeserver answered, reduced to what must match.
type answer struct {
	Status  int
	Errcode string
	Error   string
	Body    map[string]any
}

func ask(t *testing.T, base, secret string, st step) answer {
	t.Helper()
	var body io.Reader
	if st.body != "" {
		body = strings.NewReader(st.body)
	}
	req, err := http.NewRequestWithContext(context.Background(), st.method, base+st.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if st.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch st.auth {
	case "":
	case "secret":
		req.Header.Set("Authorization", "Bearer "+secret)
	case "wrong":
		req.Header.Set("Authorization", "Bearer not-"+secret)
	default:
		req.Header.Set("Authorization", "Bearer "+st.auth)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", st.name, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil {
		a.Errcode, _ = obj["errcode"].(string)
		msg, _ := obj["error"].(string)
		a.Error = pydanticDetails.ReplaceAllString(msg, "]")
		delete(obj, "errcode")
		delete(obj, "error")
		if st.path == "/_matrix/client/versions" {
			obj = nil // the fake's list is its own; Synapse's changes with releases
		}
		a.Body = obj
	}
	return a
}

// pydanticDetails is what Synapse's validation messages carry beyond the
// fake's: a Python repr of the input and a link naming pydantic's version.
// The fake leaves both out; the rest of the message must match.
var pydanticDetails = regexp.MustCompile(`, input_value=.*, input_type=\w+\](\n\s+For further information visit \S+)?`)

// TestFakeMatchesSynapse is the contract between the fake and real
// Synapse; a difference found here is fixed in the fake.
func TestFakeMatchesSynapse(t *testing.T) {
	syn := Shared(t, Options{})
	user := "contract-" + strings.ToLower(rand.Text()[:8])
	other := "ghost-" + strings.ToLower(rand.Text()[:8])
	stub := stubIntrospection(t, syn.Secret, user)
	if err := syn.Attach(stub.URL); err != nil {
		t.Fatal(err)
	}
	fake := homeservertest.New(t, homeservertest.Options{
		ServerName: syn.ServerName, Secret: syn.Secret, IntrospectionURL: stub.URL + "/oauth2/introspect",
	})
	for _, st := range contractSteps(user, other) {
		want := ask(t, syn.URL(), syn.Secret, st)
		got := ask(t, fake.URL(), syn.Secret, st)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s %s):\n  Synapse: %+v\n  fake:    %+v", st.name, st.method, st.path, want, got)
		}
	}
}
