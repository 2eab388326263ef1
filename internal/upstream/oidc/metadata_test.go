package oidc

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const discoveryPath = "/.well-known/openid-configuration"

// Each document breaks one strict rule: discovery_mode oidc refuses it
// with KindBadMetadata, insecure logs in all the same.
func TestStrictMetadataChecks(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(doc map[string]any, issuer string)
		want   string
	}{
		{"other issuer", func(d map[string]any, iss string) { d["issuer"] = iss + "/other" }, "is not the configured issuer"},
		{"issuer with trailing slash", func(d map[string]any, iss string) { d["issuer"] = iss + "/" }, "is not the configured issuer"},
		{"missing issuer", func(d map[string]any, _ string) { delete(d, "issuer") }, "no issuer"},
		{"http token endpoint", func(d map[string]any, iss string) {
			d["token_endpoint"] = strings.Replace(iss, "https:", "http:", 1) + "/token"
		}, "token_endpoint"},
		{"http userinfo endpoint", func(d map[string]any, iss string) {
			d["userinfo_endpoint"] = strings.Replace(iss, "https:", "http:", 1) + "/userinfo"
		}, "userinfo_endpoint"},
		{"fragment in authorization endpoint", func(d map[string]any, iss string) {
			d["authorization_endpoint"] = iss + "/authorize#frag"
		}, "fragment"},
		{"no response_types_supported", func(d map[string]any, _ string) { delete(d, "response_types_supported") }, "response_types_supported"},
		{"no code response type", func(d map[string]any, _ string) { d["response_types_supported"] = []string{"id_token"} }, "contain code"},
		{"no subject_types_supported", func(d map[string]any, _ string) { delete(d, "subject_types_supported") }, "subject_types_supported"},
		{"no id token algorithms", func(d map[string]any, _ string) { delete(d, "id_token_signing_alg_values_supported") }, "id_token_signing_alg_values_supported"},
		{"configured id token alg not listed", func(d map[string]any, _ string) {
			d["id_token_signing_alg_values_supported"] = []string{"ES256"}
		}, "configured RS256"},
		{"scopes without openid", func(d map[string]any, _ string) { d["scopes_supported"] = []string{"profile"} }, "openid"},
		{"none as auth signing alg", func(d map[string]any, _ string) {
			d["token_endpoint_auth_signing_alg_values_supported"] = []string{"RS256", "none"}
		}, "contains none"},
		{"jwt auth without signing algs", func(d map[string]any, _ string) {
			delete(d, "token_endpoint_auth_signing_alg_values_supported")
		}, "token_endpoint_auth_signing_alg_values_supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []DiscoveryMode{DiscoveryOIDC, DiscoveryInsecure} {
				f := newFixture(t, true, func(o *Options) { o.DiscoveryMode = mode })
				f.op.docMutate = func(doc map[string]any) { tc.mutate(doc, f.op.issuer) }
				if mode == DiscoveryInsecure {
					if _, err := f.p.Metadata(t.Context()); err != nil {
						t.Errorf("insecure: %v", err)
					} else if tc.name != "http token endpoint" {
						// (The https test provider cannot answer that one.)
						if _, err := f.login(t); err != nil {
							t.Errorf("insecure login: %v", err)
						}
					}
					continue
				}
				_, err := f.p.Metadata(t.Context())
				wantKind(t, err, KindBadMetadata)
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q does not mention %q", err, tc.want)
				}
			}
		})
	}
}

func TestDiscoveryModes(t *testing.T) {
	t.Run("oidc over https", func(t *testing.T) {
		f := newFixture(t, true, nil)
		if _, err := f.login(t); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("oidc refuses a plain-http provider, even on loopback", func(t *testing.T) {
		f := newFixture(t, false, func(o *Options) { o.DiscoveryMode = DiscoveryOIDC })
		_, err := f.p.Metadata(t.Context())
		wantKind(t, err, KindBadMetadata)
		if !strings.Contains(err.Error(), "https") {
			t.Errorf("error %q does not say https", err)
		}
	})
	t.Run("insecure accepts a plain-http provider", func(t *testing.T) {
		f := newFixture(t, false, nil)
		if _, err := f.login(t); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("insecure needs the endpoints it uses", func(t *testing.T) {
		f := newFixture(t, false, nil)
		f.op.docMutate = func(doc map[string]any) { delete(doc, "jwks_uri") }
		_, err := f.p.Metadata(t.Context())
		wantKind(t, err, KindBadMetadata)
		// An override fills the gap.
		f = newFixture(t, false, func(o *Options) { o.JWKSURI = o.Issuer + "/jwks" })
		f.op.docMutate = func(doc map[string]any) { delete(doc, "jwks_uri") }
		if _, err := f.login(t); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("disabled fetches nothing", func(t *testing.T) {
		f := newFixture(t, false, func(o *Options) {
			o.DiscoveryMode = DiscoveryDisabled
			o.AuthorizationEndpoint, o.TokenEndpoint, o.JWKSURI = o.Issuer+"/authorize", o.Issuer+"/token", o.Issuer+"/jwks"
		})
		if _, err := f.login(t); err != nil {
			t.Fatal(err)
		}
		if n := f.op.hitCount(discoveryPath); n != 0 {
			t.Errorf("discovery fetched %d times", n)
		}
	})
	t.Run("overrides win over discovery", func(t *testing.T) {
		f := newFixture(t, true, func(o *Options) { o.TokenEndpoint = o.Issuer + "/token-override" })
		if _, err := f.login(t); err != nil {
			t.Fatal(err)
		}
		if f.op.hitCount("/token-override") != 1 || f.op.hitCount("/token") != 0 {
			t.Errorf("token requests: override %d, discovered %d", f.op.hitCount("/token-override"), f.op.hitCount("/token"))
		}
	})
}

func TestMetadataCache(t *testing.T) {
	f := newFixture(t, true, nil)
	for range 3 {
		if _, err := f.login(t); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.op.hitCount(discoveryPath); n != 1 {
		t.Fatalf("discovery fetched %d times for 3 logins", n)
	}
	// After an hour the metadata is fetched again; a failure then keeps
	// the last good metadata in use.
	f.op.set(func(op *testOP) { op.discoveryStatus = http.StatusServiceUnavailable })
	f.clock.Advance(metadataTTL + time.Second)
	m, err := f.p.Metadata(t.Context())
	if err != nil || m.TokenEndpoint != f.op.url("/token") {
		t.Fatalf("stale metadata not served: %v, %v", m, err)
	}
	if n := f.op.hitCount(discoveryPath); n != 2 {
		t.Fatalf("discovery fetched %d times, want 2", n)
	}
}

// An unreachable provider is asked once per failureTTL, however many
// logins try it.
func TestUnreachableProviderFailureIsCached(t *testing.T) {
	t.Run("server error", func(t *testing.T) {
		f := newFixture(t, true, nil)
		f.op.discoveryStatus = http.StatusBadGateway
		for range 3 {
			_, _, err := f.p.AuthorizationURL(t.Context(), testRedirect, nil)
			wantKind(t, err, KindUnreachable)
		}
		if n := f.op.hitCount(discoveryPath); n != 1 {
			t.Fatalf("discovery asked %d times, want 1", n)
		}
		f.clock.Advance(failureTTL + time.Second)
		f.op.set(func(op *testOP) { op.discoveryStatus = 0 })
		if _, err := f.login(t); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
		if n := f.op.hitCount(discoveryPath); n != 2 {
			t.Fatalf("discovery asked %d times, want 2", n)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		f := newFixture(t, true, nil)
		f.op.srv.Close()
		_, err := f.p.Metadata(t.Context())
		wantKind(t, err, KindUnreachable)
		if f.p.meta.fetches != 1 {
			t.Fatalf("fetches %d", f.p.meta.fetches)
		}
		_, err2 := f.p.Metadata(t.Context())
		if err2 != err || f.p.meta.fetches != 1 {
			t.Fatalf("failure not cached: %v, %d fetches", err2, f.p.meta.fetches)
		}
	})
	t.Run("not a metadata document", func(t *testing.T) {
		f := newFixture(t, true, nil)
		f.op.discoveryStatus = http.StatusNotFound
		_, err := f.p.Metadata(t.Context())
		wantKind(t, err, KindBadMetadata)
	})
}

func TestDiscoveryURL(t *testing.T) {
	for issuer, want := range map[string]string{
		"https://id.example":         "https://id.example/.well-known/openid-configuration",
		"https://id.example/":        "https://id.example/.well-known/openid-configuration",
		"https://id.example/realm/x": "https://id.example/realm/x/.well-known/openid-configuration",
	} {
		if got := DiscoveryURL(issuer); got != want {
			t.Errorf("DiscoveryURL(%q) = %q", issuer, got)
		}
	}
}
