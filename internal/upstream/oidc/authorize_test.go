package oidc

import (
	"net/url"
	"strings"
	"testing"
)

func TestPKCEMethods(t *testing.T) {
	cases := []struct {
		name       string
		method     PKCEMethod
		advertised []string
		want       bool
	}{
		{"auto, S256 advertised", PKCEAuto, []string{"plain", "S256"}, true},
		{"auto, only plain advertised", PKCEAuto, []string{"plain"}, false},
		{"auto, nothing advertised", PKCEAuto, nil, false},
		{"default is auto", "", []string{"S256"}, true},
		{"always, nothing advertised", PKCEAlways, nil, true},
		{"never, S256 advertised", PKCENever, []string{"S256"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true, func(o *Options) { o.PKCEMethod = tc.method })
			f.op.codeChallenge = tc.advertised
			s, back := f.authorize(t, nil)
			sent := f.op.lastAuthReq
			if got := sent.Has("code_challenge"); got != tc.want || (s.CodeVerifier != "") != tc.want {
				t.Fatalf("code_challenge sent %v, verifier %q; want PKCE %v", got, s.CodeVerifier, tc.want)
			}
			if tc.want && sent.Get("code_challenge_method") != "S256" {
				t.Errorf("code_challenge_method %q", sent.Get("code_challenge_method"))
			}
			// The test provider checks the verifier against the challenge.
			cb, _ := f.p.ParseCallback(back)
			if _, err := f.p.Exchange(t.Context(), s, cb.Code); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("auto with discovery disabled sends none", func(t *testing.T) {
		f := newFixture(t, false, func(o *Options) {
			o.DiscoveryMode = DiscoveryDisabled
			o.AuthorizationEndpoint, o.TokenEndpoint, o.JWKSURI = o.Issuer+"/authorize", o.Issuer+"/token", o.Issuer+"/jwks"
		})
		if s, _ := f.authorize(t, nil); s.CodeVerifier != "" || f.op.lastAuthReq.Has("code_challenge") {
			t.Error("PKCE sent without metadata")
		}
	})
}

func TestAuthorizationRequest(t *testing.T) {
	f := newFixture(t, true, func(o *Options) { o.Scope = "openid profile email" })
	extra := url.Values{
		"login_hint": {"alice@example.test"},
		"prompt":     {"consent"},
		// Extra parameters never replace protocol ones.
		"state":        {"attacker"},
		"client_id":    {"other"},
		"redirect_uri": {"https://evil.example/"},
	}
	s, _ := f.authorize(t, extra)
	q := f.op.lastAuthReq
	want := map[string]string{
		"response_type": "code",
		"client_id":     testClientID,
		"redirect_uri":  testRedirect,
		"scope":         "openid profile email",
		"state":         s.State,
		"nonce":         s.Nonce,
		"login_hint":    "alice@example.test",
		"prompt":        "consent",
	}
	for k, v := range want {
		if got := q[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if q.Has("response_mode") {
		t.Errorf("response_mode %q sent without being configured", q.Get("response_mode"))
	}
	if len(s.State) < 43 || len(s.Nonce) < 43 || s.State == s.Nonce || s.RedirectURI != testRedirect {
		t.Errorf("session %+v", s)
	}
	// A second request gets fresh values.
	s2, _ := f.authorize(t, nil)
	if s2.State == s.State || s2.Nonce == s.Nonce {
		t.Error("state or nonce reused")
	}
	if !IsProtocolParameter("nonce") || IsProtocolParameter("login_hint") {
		t.Error("IsProtocolParameter")
	}
}

// The endpoint's own query parameters are kept.
func TestAuthorizationEndpointWithQuery(t *testing.T) {
	f := newFixture(t, true, func(o *Options) { o.AuthorizationEndpoint = o.Issuer + "/authorize?tenant=acme" })
	u, _, err := f.p.AuthorizationURL(t.Context(), testRedirect, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	if parsed.Query().Get("tenant") != "acme" || parsed.Query().Get("client_id") != testClientID {
		t.Errorf("URL %s", u)
	}
}

func TestResponseModes(t *testing.T) {
	for _, mode := range []ResponseMode{ResponseModeFormPost, ResponseModeQuery} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, true, func(o *Options) { o.ResponseMode = mode })
			if f.p.ResponseMode() != mode {
				t.Errorf("ResponseMode() = %q", f.p.ResponseMode())
			}
			res, err := f.login(t)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.op.lastAuthReq.Get("response_mode"); got != string(mode) {
				t.Errorf("response_mode sent %q", got)
			}
			if res.Subject != testSubject {
				t.Errorf("subject %q", res.Subject)
			}
		})
	}
}

// Without the openid scope there is no nonce and no ID token: the claims
// come from userinfo (a plain OAuth 2.0 provider).
func TestOAuth2OnlyProvider(t *testing.T) {
	f := newFixture(t, true, func(o *Options) { o.Scope = "read:user"; o.FetchUserinfo = true })
	res, err := f.login(t)
	if err != nil {
		t.Fatal(err)
	}
	if f.op.lastAuthReq.Has("nonce") {
		t.Error("nonce sent without openid")
	}
	if res.IDToken != "" || res.IDTokenClaims != nil || res.Subject != testSubject || userClaims(res)["preferred_username"] != "alice" {
		t.Errorf("result %+v", res)
	}
	// Without userinfo nothing says who the user is.
	f = newFixture(t, true, func(o *Options) { o.Scope = "read:user" })
	_, err = f.login(t)
	wantKind(t, err, KindMissingClaim)
}

func TestParseCallback(t *testing.T) {
	f := newFixture(t, true, nil)
	cases := []struct {
		name   string
		values url.Values
		kind   Kind
	}{
		{"ok", url.Values{"state": {"s"}, "code": {"c"}, "iss": {f.op.issuer}, "user": {`{"name":{"firstName":"A"}}`}}, 0},
		{"provider error", url.Values{"state": {"s"}, "error": {"access_denied"}, "error_description": {"User said\nno"}}, KindAuthorizationDenied},
		{"no state", url.Values{"code": {"c"}}, KindBadResponse},
		{"no code", url.Values{"state": {"s"}}, KindBadResponse},
		{"other issuer", url.Values{"state": {"s"}, "code": {"c"}, "iss": {"https://evil.example"}}, KindWrongIssuer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cb, err := f.p.ParseCallback(tc.values)
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cb.State != "s" || cb.Code != "c" || cb.Params["user"] == "" || cb.Params["code"] != "" {
					t.Errorf("callback %+v", cb)
				}
				return
			}
			wantKind(t, err, tc.kind)
			if tc.values.Has("state") && cb.State != "s" {
				t.Errorf("state lost on error: %+v", cb)
			}
		})
	}
	_, err := f.p.ParseCallback(url.Values{"state": {"s"}, "error": {"access_denied"}, "error_description": {"User said\nno"}})
	if e := err.(*Error); e.Code != "access_denied" || strings.ContainsAny(e.Description, "\n") {
		t.Errorf("error %+v", e)
	}
}
