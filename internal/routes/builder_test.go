package routes

import (
	"net/url"
	"strings"
	"testing"
)

func TestURLBuilder(t *testing.T) {
	tests := []struct {
		name                  string
		base, issuer          string
		wantBase, wantIssuer  string
		wantPrefix            string
		path                  string
		wantAbsolute, wantRel string
	}{
		{
			name: "root base", base: "https://auth.example.com/",
			wantBase: "https://auth.example.com/", wantIssuer: "https://auth.example.com/",
			path: OAuth2Token, wantAbsolute: "https://auth.example.com/oauth2/token", wantRel: "/oauth2/token",
		},
		{
			name: "root base without slash", base: "https://auth.example.com",
			wantBase: "https://auth.example.com/", wantIssuer: "https://auth.example.com/",
			path: Login, wantAbsolute: "https://auth.example.com/login", wantRel: "/login",
		},
		{
			name: "path base", base: "http://127.0.0.1:8080/auth/",
			wantBase: "http://127.0.0.1:8080/auth/", wantIssuer: "http://127.0.0.1:8080/auth/", wantPrefix: "/auth",
			path: OAuth2Token, wantAbsolute: "http://127.0.0.1:8080/auth/oauth2/token", wantRel: "/auth/oauth2/token",
		},
		{
			name: "path base without slash", base: "http://127.0.0.1:8080/auth",
			wantBase: "http://127.0.0.1:8080/auth/", wantIssuer: "http://127.0.0.1:8080/auth/", wantPrefix: "/auth",
			path: Index, wantAbsolute: "http://127.0.0.1:8080/auth/", wantRel: "/auth/",
		},
		{
			name: "explicit issuer kept", base: "https://auth.example.com/", issuer: "https://example.com",
			wantBase: "https://auth.example.com/", wantIssuer: "https://example.com/",
			path: Consent("01H"), wantAbsolute: "https://auth.example.com/consent/01H", wantRel: "/consent/01H",
		},
		{
			name: "issuer path without slash kept", base: "https://example.com/auth/", issuer: "https://example.com/auth",
			wantBase: "https://example.com/auth/", wantIssuer: "https://example.com/auth", wantPrefix: "/auth",
			path: Account, wantAbsolute: "https://example.com/auth/account/", wantRel: "/auth/account/",
		},
		{
			name: "ipv6 base", base: "http://[::1]:8080/",
			wantBase: "http://[::1]:8080/", wantIssuer: "http://[::1]:8080/",
			path:         WithQuery(Login, url.Values{"kind": {"manage_account"}}),
			wantAbsolute: "http://[::1]:8080/login?kind=manage_account", wantRel: "/login?kind=manage_account",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewURLBuilder(tt.base, tt.issuer)
			if err != nil {
				t.Fatal(err)
			}
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("Base", b.Base(), tt.wantBase)
			check("Issuer", b.Issuer(), tt.wantIssuer)
			check("Prefix", b.Prefix(), tt.wantPrefix)
			check("Absolute", b.Absolute(tt.path), tt.wantAbsolute)
			check("Relative", b.Relative(tt.path), tt.wantRel)
		})
	}
}

func TestURLBuilderQuery(t *testing.T) {
	b, err := NewURLBuilder("https://example.com/auth/", "")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"kind": {"continue_authorization_grant"}, "id": {"01H&x"}}
	if got, want := b.RelativeWithQuery(Login, q), "/auth/login?id=01H%26x&kind=continue_authorization_grant"; got != want {
		t.Errorf("RelativeWithQuery = %q, want %q", got, want)
	}
	if got, want := b.AbsoluteWithQuery(Login, nil), "https://example.com/auth/login"; got != want {
		t.Errorf("AbsoluteWithQuery(nil) = %q, want %q", got, want)
	}
	if got, want := WithQuery("/link?code=A", url.Values{"x": {"1"}}), "/link?code=A&x=1"; got != want {
		t.Errorf("WithQuery on a path with a query = %q, want %q", got, want)
	}
}

func TestURLBuilderRejects(t *testing.T) {
	tests := []struct{ base, issuer, wantErr string }{
		{"", "", "must not be empty"},
		{"ftp://example.com/", "", "scheme"},
		{"example.com/auth", "", "scheme"},
		{"https:///auth", "", "host is missing"},
		{"https://u:p@example.com/", "", "credentials"},
		{"https://example.com/?x=1", "", "query"},
		{"https://example.com/#frag", "", "fragment"},
		{"https://example.com/", "issuer-without-scheme", "issuer"},
		{"https://exa mple.com/", "", "public base"},
	}
	for _, tt := range tests {
		_, err := NewURLBuilder(tt.base, tt.issuer)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NewURLBuilder(%q, %q) error = %v, want it to mention %q", tt.base, tt.issuer, err, tt.wantErr)
		}
	}
}

func TestBuildersEscapeSegments(t *testing.T) {
	tests := []struct{ got, want string }{
		{Consent("a/b?c"), "/consent/a%2Fb%3Fc"},
		{UpstreamCallback("01J"), "/upstream/callback/01J"},
		{RegisterFinish("x"), "/register/steps/x/finish"},
		{Asset("fonts/a b.woff2"), "/assets/fonts/a%20b.woff2"},
		{Asset("/app.css"), "/assets/app.css"},
		{CompatLogin(), "/_matrix/client/v3/login"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
