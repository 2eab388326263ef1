package oauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/keys"
	"mas/internal/routes"
)

// TestPublicAddressSpecialRanges holds publicAddress to every special-purpose
// range: the first and last address of each is refused, and the nearest
// addresses outside it (where those are ordinary unicast) are allowed.
func TestPublicAddressSpecialRanges(t *testing.T) {
	tests := []struct {
		prefix string
		// outside are addresses right next to the range that are public.
		outside []string
	}{
		// IPv4.
		{"0.0.0.0/8", []string{"1.0.0.0"}},
		{"10.0.0.0/8", []string{"9.255.255.255", "11.0.0.0"}},
		{"100.64.0.0/10", []string{"100.63.255.255", "100.128.0.0"}},
		{"127.0.0.0/8", []string{"126.255.255.255", "128.0.0.0"}},
		{"169.254.0.0/16", []string{"169.253.255.255", "169.255.0.0"}},
		{"172.16.0.0/12", []string{"172.15.255.255", "172.32.0.0"}},
		{"192.0.0.0/24", []string{"191.255.255.255", "192.0.1.0"}},
		{"192.0.2.0/24", []string{"192.0.3.0"}},
		{"192.88.99.0/24", []string{"192.88.98.255", "192.88.100.0"}},
		{"192.168.0.0/16", []string{"192.167.255.255", "192.169.0.0"}},
		{"198.18.0.0/15", []string{"198.17.255.255", "198.20.0.0"}},
		{"198.51.100.0/24", []string{"198.51.99.255", "198.51.101.0"}},
		{"203.0.113.0/24", []string{"203.0.112.255", "203.0.114.0"}},
		{"224.0.0.0/4", []string{"223.255.255.255"}},
		{"240.0.0.0/4", nil},
		// IPv6.
		{"::/128", nil},
		{"::1/128", nil},
		{"::/96", nil},
		{"64:ff9b:1::/48", nil},
		{"100::/64", nil},
		{"100:0:0:1::/64", nil},
		{"2001::/23", []string{"2001:200::1"}},
		{"2001:db8::/32", []string{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"}},
		{"2002::/16", []string{"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2003::"}},
		{"3fff::/20", []string{"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::"}},
		{"5f00::/16", nil},
		{"fc00::/7", nil},
		{"fe80::/10", nil},
		{"fec0::/10", nil},
		{"ff00::/8", nil},
	}
	for _, tc := range tests {
		p := netip.MustParsePrefix(tc.prefix)
		first, last := p.Masked().Addr(), lastAddr(p)
		for _, a := range []netip.Addr{first, first.Next(), last} {
			if a.IsValid() && p.Contains(a) && publicAddress(a) {
				t.Errorf("publicAddress(%s) = true, but it is in %s", a, p)
			}
		}
		for _, s := range tc.outside {
			if a := netip.MustParseAddr(s); !publicAddress(a) {
				t.Errorf("publicAddress(%s) = false next to %s, want true", a, p)
			}
		}
	}
	// Whatever the table holds is refused too, at both ends.
	for _, p := range append(append([]netip.Prefix(nil), nonPublicIPv4...), nonPublicIPv6...) {
		if publicAddress(p.Masked().Addr()) || publicAddress(lastAddr(p)) {
			t.Errorf("an end of the table's %s is public", p)
		}
	}

	for addr, want := range map[string]bool{
		// Ordinary public addresses, and globally reachable special blocks.
		"8.8.8.8": true, "1.1.1.1": true, "192.31.196.1": true, "192.175.48.1": true, "192.52.193.1": true,
		"2001:4860:4860::8888": true, "2606:4700::1111": true, "2620:4f:8000::1": true,
		// IPv4 forms of non-public addresses.
		"255.255.255.255": false, "198.19.255.255": false, "192.0.0.9": false, "169.254.169.254": false,
		// IPv4-mapped: judged by the IPv4 address.
		"::ffff:8.8.8.8": true, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "::ffff:169.254.169.254": false,
		"::ffff:192.0.0.1": false, "::ffff:198.18.0.1": false, "::ffff:240.0.0.1": false, "::ffff:100.64.0.1": false,
		// Well-known NAT64 prefix: public only if the embedded address is.
		"64:ff9b::808:808": true, "64:ff9b::8.8.8.8": true, "64:ff9b::7f00:1": false, "64:ff9b::a00:1": false,
		"64:ff9b::a9fe:a9fe": false, "64:ff9b::c0a8:1": false, "64:ff9b::6440:1": false, "64:ff9b::c612:1": false,
		"64:ff9b::": false, "64:ff9b::ffff:ffff": false,
		// Local-use NAT64, 6to4 and IPv4-compatible: refused whatever they embed.
		"64:ff9b:1::808:808": false, "64:ff9b:1:ffff::808:808": false,
		"2002:808:808::1": false, "2002:a00:1::1": false, "2002:7f00:1::1": false,
		"::808:808": false, "::7f00:1": false, "::a00:1": false,
		// Teredo, inside 2001::/23.
		"2001:0:4136:e378:8000:63bf:3fff:fdd2": false,
		// Outside 2000::/3: unassigned, never a public server.
		"4000::1": false, "1::1": false, "e000::1": false,
		// Zoned addresses are link-scoped, whatever the address.
		"fe80::1%eth0": false, "2001:4860:4860::8888%eth0": false,
	} {
		if got := publicAddress(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddress(%s) = %v, want %v", addr, got, want)
		}
	}
	if publicAddress(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// TestJWKSURIFailureIsCached: a jwks_uri that fails is fetched once per
// jwksFailureTTL, however many token requests name the client, and every
// one of them gets the same invalid_client at once.
func TestJWKSURIFailureIsCached(t *testing.T) {
	e := newRegEnv(t, withPolicyData(`{"client_registration": {"allow_insecure_uris": true}}`))
	k := regClientKey(t, "p256_sec1.pem", "k1")
	js := newRegJWKSServer(t, regJWKS(k))
	js.status.Store(http.StatusServiceUnavailable)
	id := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: js.srv.URL + "/jwks"}, "").ID.String()
	auth := func() regResponse {
		return e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(id))), "", "")
	}
	wantFetches := func(want int32) {
		t.Helper()
		if n := js.fetches.Load(); n != want {
			t.Fatalf("%d fetches of the jwks_uri, want %d", n, want)
		}
	}

	for range 5 {
		wantInvalidClient(t, auth(), false, "could not be fetched")
	}
	wantFetches(1)
	e.clock.Advance(jwksFailureTTL - time.Second)
	wantInvalidClient(t, auth(), false, "could not be fetched")
	wantFetches(1)

	// Once the window is over the URI is tried again; it still fails.
	e.clock.Advance(time.Second)
	wantInvalidClient(t, auth(), false, "could not be fetched")
	wantInvalidClient(t, auth(), false, "could not be fetched")
	wantFetches(2)

	// Repaired, it is used from the next window on, and then cached as
	// any successful fetch.
	js.status.Store(http.StatusOK)
	wantInvalidClient(t, auth(), false, "could not be fetched")
	e.clock.Advance(jwksFailureTTL)
	wantAuthenticated(t, auth(), id)
	wantAuthenticated(t, auth(), id)
	wantFetches(3)
}

// TestJWKSURIFailedRefreshKeepsKeys: when the refetch for an unknown key
// fails, the keys fetched before still authenticate, and the failure is not
// retried by every assertion with an unknown key.
func TestJWKSURIFailedRefreshKeepsKeys(t *testing.T) {
	e := newRegEnv(t, withPolicyData(`{"client_registration": {"allow_insecure_uris": true}}`))
	k1 := regClientKey(t, "p256_sec1.pem", "k1")
	k2 := regClientKey(t, "rsa_pkcs1.pem", "k2")
	js := newRegJWKSServer(t, regJWKS(k1))
	id := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: js.srv.URL}, "").ID.String()
	auth := func(k *keys.PrivateKey, alg string) regResponse {
		return e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, alg, e.regClaims(id))), "", "")
	}
	wantAuthenticated(t, auth(k1, "ES256"), id)

	e.clock.Advance(jwksMinRefresh)
	js.status.Store(http.StatusInternalServerError)
	wantInvalidClient(t, auth(k2, "RS256"), false, "could not be fetched")
	wantInvalidClient(t, auth(k2, "RS256"), false, "could not be fetched")
	if n := js.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want the first and one refresh", n)
	}
	wantAuthenticated(t, auth(k1, "ES256"), id)
}

// TestJWKSFailureCacheSeparatesStaticClients: a dynamic client naming a
// static client's jwks_uri has its fetch refused by the SSRF guard; that
// refusal, now remembered, must not lock the static client out.
func TestJWKSFailureCacheSeparatesStaticClients(t *testing.T) {
	e := newRegEnv(t)
	k := regClientKey(t, "p256_sec1.pem", "k1")
	js := newRegJWKSServer(t, regJWKS(k))
	uri := js.srv.URL + "/jwks"
	dynamic := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: uri}, "").ID.String()
	static := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: uri, IsStatic: true}, "").ID.String()

	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(dynamic))), "", ""), false, "could not be fetched")
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(static))), "", ""), static)
	// And the static client's keys are not handed to the dynamic one.
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(dynamic))), "", ""), false, "could not be fetched")
	if n := js.fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want only the static client's", n)
	}
}

// TestJWKSURIPrivateAddressOverHTTPS: with https the scheme rule passes,
// and the address guard still refuses loopback for a dynamic client.
func TestJWKSURIPrivateAddressOverHTTPS(t *testing.T) {
	e := newRegEnv(t)
	k := regClientKey(t, "p256_sec1.pem", "k1")
	var fetches atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_, _ = io.WriteString(w, regJWKS(k))
	}))
	t.Cleanup(srv.Close)
	id := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: srv.URL + "/jwks"}, "").ID.String()
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(id))), "", ""), false, "could not be fetched")
	if n := fetches.Load(); n != 0 {
		t.Errorf("the https key server on 127.0.0.1 was contacted %d times for a dynamic client", n)
	}
	_, _, err := e.h.jwksCache().get(context.Background(), srv.URL+"/jwks", e.clock.Now(), jwksCacheTTL)
	if !errors.Is(err, errPrivateAddress) {
		t.Errorf("fetch error = %v, want the address guard's", err)
	}
}

// jwksRoundTripper answers every request without a network: the JWK Set
// at /keys, and a redirect to the URL in the redirect query parameter.
type jwksRoundTripper struct {
	body     string
	requests []string
}

func (rt *jwksRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.requests = append(rt.requests, req.URL.String())
	res := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(rt.body)), Request: req}
	if to := req.URL.Query().Get("redirect"); to != "" {
		res.StatusCode = http.StatusFound
		res.Header.Set("Location", to)
		res.Body = io.NopCloser(strings.NewReader(""))
	}
	return res, nil
}

// TestJWKSURIFetchRequiresHTTPS: a dynamic client's jwks_uri is fetched
// over https only, redirects included; static clients and deployments
// allowing insecure URIs may use http.
func TestJWKSURIFetchRequiresHTTPS(t *testing.T) {
	k := regClientKey(t, "p256_sec1.pem", "k1")
	guarded, unguarded := context.Background(), allowUnguardedFetch(context.Background())
	tests := []struct {
		name     string
		ctx      context.Context
		uri      string
		requests int
		err      string // empty: the keys are fetched
	}{
		{"https", guarded, "https://jwks.example/keys", 1, ""},
		{"http", guarded, "http://jwks.example/keys", 0, "must use https"},
		{"other scheme", guarded, "ftp://jwks.example/keys", 0, "not an http(s) URL"},
		{"https redirecting to http", guarded, "https://jwks.example/?redirect=http://jwks.example/keys", 1, "must use https"},
		{"https redirecting to https", guarded, "https://jwks.example/?redirect=https://jwks.example/keys", 2, ""},
		{"http, unguarded", unguarded, "http://jwks.example/keys", 1, ""},
		{"https redirecting to http, unguarded", unguarded, "https://jwks.example/?redirect=http://jwks.example/keys", 2, ""},
		{"other scheme, unguarded", unguarded, "file:///etc/passwd", 0, "not an http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := &jwksRoundTripper{body: regJWKS(k)}
			c := newClientJWKSCache(&http.Client{Transport: rt, CheckRedirect: jwksCheckRedirect})
			pk, _, err := c.get(tc.ctx, tc.uri, time.Unix(0, 0), jwksCacheTTL)
			switch {
			case tc.err == "" && (err != nil || pk == nil):
				t.Errorf("get = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("get = %v, want an error containing %q", err, tc.err)
			}
			if len(rt.requests) != tc.requests {
				t.Errorf("requests = %q, want %d", rt.requests, tc.requests)
			}
		})
	}
}

// TestRegistrationJWKSURIScheme: a dynamic client's jwks_uri must be
// https unless the policy allows insecure URIs; other schemes never pass.
func TestRegistrationJWKSURIScheme(t *testing.T) {
	const insecure = `{"client_registration": {"allow_insecure_uris": true}}`
	body := func(jwksURI string) string {
		return `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'],
			'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'ES256',
			'jwks_uri': '` + jwksURI + `'}`
	}
	tests := []struct {
		name   string
		policy string
		uri    string
		desc   string // empty: registered
	}{
		{"https", "", "https://example.com/jwks.json", ""},
		{"http", "", "http://example.com/jwks.json", "jwks_uri's URL doesn't use a https scheme"},
		{"HTTP in capitals", "", "HTTP://example.com/jwks.json", "jwks_uri's URL doesn't use a https scheme"},
		{"other scheme", "", "ftp://example.com/jwks.json", "jwks_uri is not an http(s) URL"},
		{"http with allow_insecure_uris", insecure, "http://example.com/jwks.json", ""},
		{"https with allow_insecure_uris", insecure, "https://example.com/jwks.json", ""},
		{"other scheme with allow_insecure_uris", insecure, "ftp://example.com/jwks.json", "jwks_uri is not an http(s) URL"},
	}
	envs := map[string]*regEnv{}
	parent := t
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := envs[tc.policy]
			if e == nil {
				e = newRegEnv(parent, withPolicyData(tc.policy))
				envs[tc.policy] = e
			}
			e.t = t
			res := e.register(body(tc.uri))
			if tc.desc != "" {
				wantOAuthError(t, res, http.StatusBadRequest, ErrInvalidClientMetadata, tc.desc)
				return
			}
			if res.status != http.StatusCreated {
				t.Fatalf("status %d, want 201\n%s", res.status, res.body)
			}
			if got := res.json(t)["jwks_uri"]; got != tc.uri {
				t.Errorf("jwks_uri = %v, want %s", got, tc.uri)
			}
		})
	}
}
