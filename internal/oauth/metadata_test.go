package oauth

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestHostIsPublicSuffix(t *testing.T) {
	tests := map[string]bool{
		"https://.com":                        true,
		"https://.com.":                       true,
		"https://com":                         true,
		"https://co.uk":                       true,
		"https://CO.UK/x":                     true,
		"https://github.io":                   true,
		"https://blogspot.com/":               true,
		"https://example.com":                 false,
		"https://example.com.":                false,
		"https://x.com":                       false,
		"https://x.com.":                      false,
		"https://matrix-org.github.io":        false,
		"https://example.co.uk":               false,
		"http://localhost":                    false,
		"http://localhost:8080/cb":            false,
		"http://127.0.0.1/":                   false,
		"http://[::1]:1234/":                  false,
		"org.matrix:/callback":                false,
		"http://somerandominternaldomain":     false,
		"http://somerandominternaldomain.lan": false,
		"":                                    false,
	}
	for uri, want := range tests {
		if got := hostIsPublicSuffix(uri); got != want {
			t.Errorf("hostIsPublicSuffix(%q) = %v, want %v", uri, got, want)
		}
	}
}

func TestNormalizeClientURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "https://example.com", want: "https://example.com/"},
		{in: "HTTPS://EXAMPLE.com:443/Path?Q=1", want: "https://example.com/Path?Q=1"},
		{in: "http://example.com:80", want: "http://example.com/"},
		{in: "http://example.com:8080", want: "http://example.com:8080/"},
		{in: "https://example.com?x", want: "https://example.com/?x"},
		{in: "http://[::1]:80/cb", want: "http://[::1]/cb"},
		{in: "com.example.app:/cb", want: "com.example.app:/cb"},
		{in: "urn:example:thing", want: "urn:example:thing"},
		{in: "https://example.com/cb#frag", want: "https://example.com/cb#frag"},
		{in: "/relative", err: "not an absolute URL"},
		{in: "this is not a uri", err: "not an absolute URL"},
		{in: "https://", err: "no host"},
		{in: "https:///path", err: "no host"},
		{in: "https://exa mple.com/", err: "not a valid URL"},
	}
	for _, tc := range tests {
		got, err := normalizeClientURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("normalizeClientURL(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("normalizeClientURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestNormalizeResponseType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"code", "code"},
		{"id_token code", "code id_token"},
		{"token  id_token code", "code id_token token"},
		{"none", "none"},
		{"", ""},
		{"code code", ""},
		{"none code", ""},
		{"code banana", ""},
	}
	for _, tc := range tests {
		got, err := normalizeResponseType(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("normalizeResponseType(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("normalizeResponseType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func regParseMetadata(t *testing.T, body string) clientMetadata {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(strings.ReplaceAll(body, "'", `"`)), &raw); err != nil {
		t.Fatal(err)
	}
	md, e := parseClientMetadata(raw)
	if e != nil {
		t.Fatal(e)
	}
	return md
}

func TestClientMetadataDigest(t *testing.T) {
	base := regParseMetadata(t, `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://a.example.com/', 'https://b.example.com/'],
		'client_name': 'X', 'client_name#fr': 'Y', 'jwks': {'keys': [], 'b': 1, 'a': 2}}`).digest()
	if len(base) != 64 {
		t.Fatalf("digest %q is not SHA-256 hex", base)
	}
	same := []string{
		`{'jwks': {'a': 2, 'keys': [], 'b': 1}, 'client_name#fr': 'Y', 'client_name': 'X',
		'redirect_uris': ['https://b.example.com', 'https://a.example.com/'], 'client_uri': 'https://example.com', 'ignored': [1, 2]}`,
	}
	for _, body := range same {
		if got := regParseMetadata(t, body).digest(); got != base {
			t.Errorf("digest of %s differs", body)
		}
	}
	different := []string{
		`{'client_uri': 'https://example.com/', 'redirect_uris': ['https://a.example.com/'], 'client_name': 'X', 'client_name#fr': 'Y', 'jwks': {'keys': [], 'b': 1, 'a': 2}}`,
		`{'client_uri': 'https://example.com/', 'redirect_uris': ['https://a.example.com/', 'https://b.example.com/'], 'client_name': 'X', 'client_name#de': 'Y', 'jwks': {'keys': [], 'b': 1, 'a': 2}}`,
		`{'client_uri': 'https://example.com/', 'redirect_uris': ['https://a.example.com/', 'https://b.example.com/'], 'client_name': 'X', 'client_name#fr': 'Y', 'jwks': {'keys': [], 'b': 1, 'a': 3}}`,
	}
	for _, body := range different {
		if got := regParseMetadata(t, body).digest(); got == base {
			t.Errorf("digest of %s is the same", body)
		}
	}
}
