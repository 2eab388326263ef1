package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// metadata decodes client metadata written with single quotes.
func metadata(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := ClientMetadataFromJSON(json.RawMessage(strings.ReplaceAll(s, "'", `"`)))
	if err != nil {
		t.Fatalf("metadata %s: %v", s, err)
	}
	return m
}

const (
	insecure     = "{'client_registration': {'allow_insecure_uris': true}}"
	hostMismatch = "{'client_registration': {'allow_host_mismatch': true}}"
	missingURI   = "{'client_registration': {'allow_missing_client_uri': true}}"
)

func TestClientRegistration(t *testing.T) {
	tests := []struct {
		name string
		data string
		md   string
		want []string
	}{
		{"valid", "", "{'grant_types': ['authorization_code'], 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/callback']}", nil},
		{"default grant type needs redirect uris", "", "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/callback']}", nil},

		// client_uri
		{"missing client_uri", "", "{'grant_types': []}", []string{"missing client_uri"}},
		{"missing client_uri allowed", missingURI, "{'grant_types': []}", nil},
		{"null client_uri is missing", "", "{'grant_types': [], 'client_uri': null}", []string{"missing client_uri"}},
		{"false client_uri", "", "{'grant_types': [], 'client_uri': false}", []string{"missing client_uri", "invalid client_uri"}},
		{"empty client_uri", "", "{'grant_types': [], 'client_uri': ''}", []string{"invalid client_uri"}},
		{"insecure client_uri", "", "{'grant_types': [], 'client_uri': 'http://example.com/'}", []string{"invalid client_uri"}},
		{"insecure client_uri allowed", insecure, "{'grant_types': [], 'client_uri': 'http://example.com/'}", nil},
		{"client_uri on localhost", "", "{'grant_types': [], 'client_uri': 'https://localhost/'}", []string{"invalid client_uri"}},
		{"client_uri on 127.0.0.1", "", "{'grant_types': [], 'client_uri': 'https://127.0.0.1/'}", []string{"invalid client_uri"}},
		{"client_uri on 0.0.0.0", "", "{'grant_types': [], 'client_uri': 'https://0.0.0.0/'}", []string{"invalid client_uri"}},
		{"client_uri on [::1]", "", "{'grant_types': [], 'client_uri': 'https://[::1]/'}", []string{"invalid client_uri"}},
		{"client_uri on other IP literal", "", "{'grant_types': [], 'client_uri': 'https://[2001:db8::1]/'}", []string{"invalid client_uri"}},
		{"client_uri with port", "", "{'grant_types': [], 'client_uri': 'https://example.com:8443/'}", nil},
		{"client_uri without path", "", "{'grant_types': [], 'client_uri': 'https://example.com'}", nil},
		// Upstream's URI grammar reads "//Example.com/" as a path when the
		// host is not lowercase: such a URI is https with no host, hence
		// "secure", but it matches no other host.
		{"client_uri with uppercase host", "", "{'grant_types': [], 'client_uri': 'https://Example.com/'}", nil},
		{"client_uri with userinfo", "", "{'grant_types': [], 'client_uri': 'https://user@example.com/'}", []string{"invalid client_uri"}},
		{"client_uri with underscore in path", "", "{'grant_types': [], 'client_uri': 'https://example.com/a_b'}", []string{"invalid client_uri"}},
		{"client_uri with fragment", "", "{'grant_types': [], 'client_uri': 'https://example.com/#x'}", []string{"invalid client_uri"}},
		{"client_uri with query", "", "{'grant_types': [], 'client_uri': 'https://example.com/?a=b&c=%20'}", nil},
		{"client_uri not a string", "", "{'grant_types': [], 'client_uri': 42}", []string{"invalid client_uri"}},
		{"client_uri not a string, insecure allowed", insecure, "{'grant_types': [], 'client_uri': 42}", nil},

		// tos_uri, policy_uri, logo_uri
		{"tos_uri", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'https://example.com/tos'}", nil},
		{"tos_uri insecure", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'http://example.com/tos'}", []string{"invalid tos_uri"}},
		{"tos_uri insecure allowed", insecure, "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'http://example.com/tos'}", nil},
		{"tos_uri host mismatch", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'https://example.org/tos'}", []string{"tos_uri not on the same host as the client_uri"}},
		{"tos_uri on subdomain", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'https://tos.example.com/'}", nil},
		{"tos_uri on parent domain", "", "{'grant_types': [], 'client_uri': 'https://app.example.com/', 'tos_uri': 'https://example.com/'}", []string{"tos_uri not on the same host as the client_uri"}},
		{"tos_uri on lookalike domain", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'https://badexample.com/'}", []string{"tos_uri not on the same host as the client_uri"}},
		{"tos_uri host mismatch allowed", hostMismatch, "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'https://example.org/tos'}", nil},
		{"tos_uri without client_uri", missingURI, "{'grant_types': [], 'tos_uri': 'https://example.org/tos'}", nil},
		{"tos_uri insecure and mismatched", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'http://example.org/tos'}", []string{"invalid tos_uri", "tos_uri not on the same host as the client_uri"}},
		{"tos_uri unparsable", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'not a uri'}", []string{"invalid tos_uri", "tos_uri not on the same host as the client_uri"}},
		{"tos_uri with hostless client_uri", "", "{'grant_types': [], 'client_uri': 'https://EXAMPLE.com/', 'tos_uri': 'https://example.com/tos'}", []string{"tos_uri not on the same host as the client_uri"}},
		{"tos_uri with unparsable client_uri", "", "{'grant_types': [], 'client_uri': 'https://example.com/a b', 'tos_uri': 'https://example.com/tos'}", []string{"invalid client_uri", "tos_uri not on the same host as the client_uri"}},
		{"policy_uri", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'policy_uri': 'https://example.com/policy'}", nil},
		{"policy_uri insecure", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'policy_uri': 'http://example.com/policy'}", []string{"invalid policy_uri"}},
		{"policy_uri insecure allowed", insecure, "{'grant_types': [], 'client_uri': 'https://example.com/', 'policy_uri': 'http://example.com/policy'}", nil},
		{"policy_uri host mismatch", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'policy_uri': 'https://example.org/policy'}", []string{"policy_uri not on the same host as the client_uri"}},
		{"policy_uri on subdomain", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'policy_uri': 'https://policy.example.com/'}", nil},
		{"policy_uri host mismatch allowed", hostMismatch, "{'grant_types': [], 'client_uri': 'https://example.com/', 'policy_uri': 'https://example.org/policy'}", nil},
		{"logo_uri", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'logo_uri': 'https://example.com/logo.png'}", nil},
		{"logo_uri insecure", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'logo_uri': 'http://example.com/logo.png'}", []string{"invalid logo_uri"}},
		{"logo_uri insecure allowed", insecure, "{'grant_types': [], 'client_uri': 'https://example.com/', 'logo_uri': 'http://example.com/logo.png'}", nil},
		{"logo_uri host mismatch", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'logo_uri': 'https://example.org/logo.png'}", []string{"logo_uri not on the same host as the client_uri"}},
		{"logo_uri on subdomain", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'logo_uri': 'https://static.example.com/logo.png'}", nil},
		{"logo_uri host mismatch allowed", hostMismatch, "{'grant_types': [], 'client_uri': 'https://example.com/', 'logo_uri': 'https://example.org/logo.png'}", nil},
		{"all three wrong, in order", "", "{'grant_types': [], 'client_uri': 'https://example.com/', 'tos_uri': 'http://a.org/', 'policy_uri': 'http://b.org/', 'logo_uri': 'http://c.org/'}", []string{
			"invalid tos_uri", "tos_uri not on the same host as the client_uri",
			"invalid policy_uri", "policy_uri not on the same host as the client_uri",
			"invalid logo_uri", "logo_uri not on the same host as the client_uri",
		}},
		// Upstream waives the host check whenever allow_missing_client_uri
		// is set, even with a client_uri.
		{"allow_missing_client_uri waives host check", missingURI, "{'grant_types': [], 'client_uri': 'https://example.com/', 'logo_uri': 'https://example.org/logo.png'}", nil},

		// grant types
		{"client_credentials, confidential", "", "{'grant_types': ['client_credentials'], 'token_endpoint_auth_method': 'client_secret_basic', 'client_uri': 'https://example.com/'}", nil},
		{"client_credentials, default auth method", "", "{'grant_types': ['client_credentials'], 'client_uri': 'https://example.com/'}", nil},
		{"client_credentials, public", "", "{'grant_types': ['client_credentials'], 'token_endpoint_auth_method': 'none', 'client_uri': 'https://example.com/'}", []string{msgPublicClientCreds}},
		{"public client without client_credentials", "", "{'grant_types': [], 'token_endpoint_auth_method': 'none', 'client_uri': 'https://example.com/'}", nil},

		// redirect_uris
		{"missing redirect_uris", "", "{'client_uri': 'https://example.com/'}", []string{"missing redirect_uris"}},
		{"redirect_uris not an array", "", "{'client_uri': 'https://example.com/', 'redirect_uris': 'https://example.com/callback'}", []string{msgRedirectURIsNotArray}},
		{"redirect_uris empty string", "", "{'client_uri': 'https://example.com/', 'redirect_uris': ''}", []string{msgRedirectURIsNotArray, msgRedirectURIsEmpty}},
		{"redirect_uris false", "", "{'client_uri': 'https://example.com/', 'redirect_uris': false}", []string{"missing redirect_uris", msgRedirectURIsNotArray}},
		{"redirect_uris number", "", "{'client_uri': 'https://example.com/', 'redirect_uris': 3}", []string{msgRedirectURIsNotArray}},
		{"redirect_uris null", "", "{'client_uri': 'https://example.com/', 'redirect_uris': null}", []string{"missing redirect_uris"}},
		{"redirect_uris empty", "", "{'client_uri': 'https://example.com/', 'redirect_uris': []}", []string{msgRedirectURIsEmpty}},
		{"redirect_uris not needed for client_credentials", "", "{'grant_types': ['client_credentials'], 'client_uri': 'https://example.com/'}", nil},
		{"redirect_uris empty for client_credentials", "", "{'grant_types': ['client_credentials'], 'client_uri': 'https://example.com/', 'redirect_uris': []}", nil},
		{"redirect_uris not an array for client_credentials", "", "{'grant_types': ['client_credentials'], 'client_uri': 'https://example.com/', 'redirect_uris': 'x'}", []string{msgRedirectURIsNotArray}},
		{"redirect_uris needed with authorization_code among others", "", "{'grant_types': ['client_credentials', 'refresh_token', 'authorization_code'], 'client_uri': 'https://example.com/'}", []string{"missing redirect_uris"}},
		{"redirect_uris needed with implicit", "", "{'grant_types': ['client_credentials', 'implicit'], 'client_uri': 'https://example.com/'}", []string{"missing redirect_uris"}},
		{"grant_types false means the default", "", "{'grant_types': false, 'client_uri': 'https://example.com/'}", []string{"missing redirect_uris"}},
		{"grant_types null means the default", "", "{'grant_types': null, 'client_uri': 'https://example.com/'}", []string{"missing redirect_uris"}},
		{"redirect_uris as an object", "", "{'client_uri': 'https://example.com/', 'redirect_uris': {'a': 'https://example.com/cb', 'b': 'http://example.com/cb'}}", []string{msgRedirectURIsNotArray, msgInvalidRedirectURI}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := engine(t, tt.data).ClientRegistration(ClientRegistrationInput{ClientMetadata: metadata(t, tt.md)})
			wantMsgs(t, vs, tt.want...)
		})
	}
}

func TestClientRegistrationRedirectURIs(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		appType string // "" leaves application_type out
		client  string
		uris    []string
		invalid []string
	}{
		{"web", "", "web", "https://example.com/", []string{
			"https://example.com/second/callback", "https://example.com/callback", "https://example.com/callback?query=value",
			"https://example.com?query=value", "https://example.com",
		}, nil},
		{"web, non-standard port", "", "web", "https://example.com/", []string{"https://example.com:8443/callback"}, nil},
		{"web, insecure allowed on localhost", insecure, "web", "http://localhost:8080", []string{"http://localhost:8080/?no_universal_links=true"}, nil},
		{"web, insecure", "", "web", "https://example.com/", []string{"http://example.com/callback", "https://example.com/callback"}, []string{"http://example.com/callback"}},
		{"web, insecure allowed", insecure, "web", "https://example.com/", []string{"http://example.com/callback", "https://example.com/callback"}, nil},
		{"web, host mismatch", "", "web", "https://example.com/", []string{"https://example.com/second/callback", "https://example.org/callback"}, []string{"https://example.org/callback"}},
		{"web, host mismatch allowed", hostMismatch, "web", "https://example.com/", []string{"https://example.com/second/callback", "https://example.org/callback"}, nil},
		{"web, subdomain", "", "web", "https://example.com/", []string{"https://app.example.com/callback"}, nil},
		{"web, custom scheme", "", "web", "https://example.com/", []string{"com.example.app:/callback"}, []string{"com.example.app:/callback"}},
		{"web, loopback", "", "web", "https://example.com/", []string{"http://locahost:1234/callback", "http://127.0.0.1:1234/callback", "http://[::1]:1234/callback"}, []string{"http://locahost:1234/callback", "http://127.0.0.1:1234/callback", "http://[::1]:1234/callback"}},
		{"no application type is web", "", "", "https://example.com/", []string{"http://localhost/callback", "com.example.app:/callback"}, []string{"http://localhost/callback", "com.example.app:/callback"}},
		{"web, fragment", "", "web", "https://example.com/", []string{"https://example.com/cb#frag"}, []string{"https://example.com/cb#frag"}},
		{"web, empty string", "", "web", "https://example.com/", []string{""}, []string{""}},

		{"native, every accepted form", "", "native", "https://example.com/", []string{
			"com.example.app:/callback",
			"com.example:/callback",
			"com.example.app:",
			"http://localhost/callback",
			"http://localhost",
			"http://localhost:1234/callback",
			"http://127.0.0.1/callback",
			"http://127.0.0.1:1234/callback",
			"http://[::1]/callback",
			"http://[::1]:1234/callback",
			"https://example.com/callback",
		}, nil},
		{"native, insecure", "", "native", "https://example.com/", []string{"http://example.com/"}, []string{"http://example.com/"}},
		{"native, host mismatch", "", "native", "https://example.com/", []string{"http://bad.com/"}, []string{"http://bad.com/"}},
		{"native, https on localhost", "", "native", "https://example.com/", []string{"https://localhost:1234/"}, []string{"https://localhost:1234/"}},
		{"native, localhost as a prefix", "", "native", "https://example.com/", []string{"http://localhost.com/"}, []string{"http://localhost.com/"}},
		{"native, 0.0.0.0", "", "native", "https://example.com/", []string{"http://0.0.0.0:1234/"}, []string{"http://0.0.0.0:1234/"}},
		{"native, custom scheme of another host", "", "native", "https://example.com/", []string{"org.example.app:/callback"}, []string{"org.example.app:/callback"}},
		{"native, custom scheme shorter than host", "", "native", "https://app.example.com/", []string{"com.example:/callback"}, []string{"com.example:/callback"}},
		{"native, custom scheme matching subdomain host", "", "native", "https://app.example.com/", []string{"com.example.app:/callback", "com.example.app.ios:/cb"}, nil},
		{"native, custom scheme with authority", "", "native", "https://example.com/", []string{"com.example.app://callback"}, []string{"com.example.app://callback"}},
		{"native, custom scheme with uppercase", "", "native", "https://example.com/", []string{"com.Example.app:/callback"}, []string{"com.Example.app:/callback"}},
		{"native, custom scheme without client_uri", missingURI, "native", "", []string{"com.example.app:/callback"}, []string{"com.example.app:/callback"}},
		{"native, insecure allowed", insecure, "native", "https://example.com/", []string{"http://example.com/cb"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := map[string]any{"redirect_uris": tt.uris}
			if tt.appType != "" {
				md["application_type"] = tt.appType
			}
			if tt.client != "" {
				md["client_uri"] = tt.client
			}
			vs := engine(t, tt.data).ClientRegistration(ClientRegistrationInput{ClientMetadata: md})
			var got []string
			for _, v := range vs {
				if v.Msg != msgInvalidRedirectURI {
					t.Errorf("unexpected violation %+v", v)
					continue
				}
				got = append(got, v.RedirectURI)
			}
			if !slices.Equal(got, tt.invalid) {
				t.Errorf("invalid redirect URIs = %q, want %q", got, tt.invalid)
			}
			if HasRedirectURIViolation(vs) != (len(tt.invalid) > 0) {
				t.Errorf("HasRedirectURIViolation = %v", !(len(tt.invalid) > 0))
			}
		})
	}
}

func TestClientRegistrationNonStringRedirectURI(t *testing.T) {
	vs := engine(t, "").ClientRegistration(ClientRegistrationInput{ClientMetadata: metadata(t,
		"{'client_uri': 'https://example.com/', 'redirect_uris': [42, {'a': 1}]}")})
	want := []Violation{
		{Msg: msgInvalidRedirectURI, RedirectURI: "42"},
		{Msg: msgInvalidRedirectURI, RedirectURI: `{"a":1}`},
	}
	if !slices.Equal(vs, want) {
		t.Errorf("violations = %+v, want %+v", vs, want)
	}
}

func TestClientRegistrationDuplicateRedirectURI(t *testing.T) {
	vs := engine(t, "").ClientRegistration(ClientRegistrationInput{ClientMetadata: metadata(t,
		"{'client_uri': 'https://example.com/', 'redirect_uris': ['http://x.org/', 'http://x.org/']}")})
	if len(vs) != 1 {
		t.Errorf("violations = %+v, want one", vs)
	}
}

func TestClientRegistrationRequester(t *testing.T) {
	e := engine(t, "{'requester': {'banned_ips': ['192.0.2.1']}}")
	md := metadata(t, "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}")
	wantMsgs(t, e.ClientRegistration(ClientRegistrationInput{ClientMetadata: md, Requester: Requester{IPAddress: addr("192.0.2.2")}}))
	wantMsgs(t, e.ClientRegistration(ClientRegistrationInput{ClientMetadata: md, Requester: Requester{IPAddress: addr("192.0.2.1")}}),
		"Requester [192.0.2.1] isn't allowed to do this action")
}

func TestClientRegistrationGoTypedMetadata(t *testing.T) {
	// Callers may build the map by hand with ordinary Go types.
	type lang struct {
		URI string `json:"uri"`
	}
	md := map[string]any{
		"client_uri":    "https://example.com/",
		"redirect_uris": []string{"https://example.com/cb", "http://example.com/cb"},
		"grant_types":   []string{"authorization_code", "client_credentials"},
		"extra":         lang{URI: "x"},
	}
	vs := engine(t, "").ClientRegistration(ClientRegistrationInput{ClientMetadata: md})
	want := []Violation{{Msg: msgInvalidRedirectURI, RedirectURI: "http://example.com/cb"}}
	if !slices.Equal(vs, want) {
		t.Errorf("violations = %+v, want %+v", vs, want)
	}
	// Nil metadata misses everything required.
	wantMsgs(t, engine(t, "").ClientRegistration(ClientRegistrationInput{}), "missing client_uri", "missing redirect_uris")
	// A value JSON cannot represent is checked as is and fails.
	vs = engine(t, "").ClientRegistration(ClientRegistrationInput{ClientMetadata: map[string]any{
		"client_uri": "https://example.com/", "grant_types": []any{}, "logo_uri": make(chan int),
	}})
	wantMsgs(t, vs, "invalid logo_uri", "logo_uri not on the same host as the client_uri")
}

func TestClientURIParsing(t *testing.T) {
	tests := []struct {
		in                            string
		ok                            bool
		scheme, authority, host, port string
	}{
		{"https://example.com:8080/users?query=test", true, "https", "example.com:8080", "example.com", "8080"},
		{"https://example.com", true, "https", "example.com", "example.com", ""},
		{"io.element.app:/callback", true, "io.element.app", "", "", ""},
		{"http://[::1]:80/", true, "http", "[::1]:80", "[::1]", "80"},
		{"http://127.0.0.1/", true, "http", "127.0.0.1", "127.0.0.1", ""},
		{"https://a-b.c/", true, "https", "a-b.c", "a-b.c", ""},
		// Not a valid host, so the whole "//-ab.c/" is read as a path.
		{"https://-ab.c/", true, "https", "", "", ""},
		{"https://ab-.c/", true, "https", "", "", ""},
		{"https://Example.com/", true, "https", "", "", ""},
		{"https://127:0:0:1/", false, "", "", "", ""},
		{"https://[::2]/", false, "", "", "", ""},
		{"HTTPS://example.com/", false, "", "", "", ""},
		{"https://example.com:/", false, "", "", "", ""},
		{"https://user@example.com/", false, "", "", "", ""},
		{"https://example.com/a b", false, "", "", "", ""},
		{"example.com/path", false, "", "", "", ""},
	}
	for _, tt := range tests {
		u, ok := parseClientURI(tt.in)
		want := clientURI{tt.scheme, tt.authority, tt.host, tt.port}
		if ok != tt.ok || (ok && u != want) {
			t.Errorf("parseClientURI(%q) = %+v, %v; want %+v, %v", tt.in, u, ok, want, tt.ok)
		}
	}
}

func TestHostMatching(t *testing.T) {
	sub := []struct {
		host, sub string
		want      bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "app.example.com", true},
		{"example.com", "a.b.example.com", true},
		{"example.com", "example.org", false},
		{"test.com", "example.com", false},
		{"app.example.com", "example.com", false},
		{"example.com", "notexample.com", false},
	}
	for _, tt := range sub {
		if got := isSubdomain(tt.host, tt.sub); got != tt.want {
			t.Errorf("isSubdomain(%q, %q) = %v", tt.host, tt.sub, got)
		}
	}
	rev := []struct {
		host, scheme string
		want         bool
	}{
		{"example.com", "com.example", true},
		{"example.com", "com.example.app", true},
		{"element.io", "io.element.app", true},
		{"example.com", "org.example", false},
		{"test.com", "com.example", false},
		{"app.example.com", "com.example", false},
	}
	for _, tt := range rev {
		if got := reverseDNSMatch(tt.host, tt.scheme); got != tt.want {
			t.Errorf("reverseDNSMatch(%q, %q) = %v", tt.host, tt.scheme, got)
		}
	}
}
