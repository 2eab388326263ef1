package oauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"mas/internal/domain"
	"mas/internal/routes"
)

func (e *tokenEnv) userinfo(method, token string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, routes.OAuth2UserInfo, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, routes.OAuth2UserInfo, nil)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

func TestUserinfo(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	u := e.user("alice")
	p := e.issue(c, u, "openid", "urn:matrix:client:api:*")
	want := `{"sub":"` + u.ID.String() + `","username":"alice"}` + "\n"

	for _, tc := range []struct {
		name   string
		method string
		token  string
		form   url.Values
	}{
		{"GET with header", http.MethodGet, p.access.Token, nil},
		{"POST with header", http.MethodPost, p.access.Token, nil},
		{"POST with body", http.MethodPost, "", url.Values{"access_token": {p.access.Token}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			rec := e.userinfo(tc.method, tc.token, tc.form)
			if rec.Code != http.StatusOK || rec.Body.String() != want {
				t.Fatalf("userinfo = %d %s, want %s", rec.Code, rec.Body.String(), want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestUserinfoRefusals(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	u := e.user("alice")
	noOpenID := e.issue(c, u, "urn:matrix:client:api:*")
	withOpenID := e.issue(c, u, "openid")
	machine := e.issue(c, nil, "openid")

	for _, tc := range []struct {
		name      string
		rec       func() *httptest.ResponseRecorder
		status    int
		challenge string
	}{
		{"no token", func() *httptest.ResponseRecorder { return e.userinfo(http.MethodGet, "", nil) },
			401, "Bearer"},
		{"without openid", func() *httptest.ResponseRecorder { return e.userinfo(http.MethodGet, noOpenID.access.Token, nil) },
			401, `Bearer error="insufficient_scope"`},
		{"unknown token", func() *httptest.ResponseRecorder { return e.userinfo(http.MethodGet, "mat_nope", nil) },
			401, `Bearer error="invalid_token"`},
		{"refresh token", func() *httptest.ResponseRecorder { return e.userinfo(http.MethodGet, withOpenID.refresh.Token, nil) },
			401, `Bearer error="invalid_token"`},
		{"session without a user", func() *httptest.ResponseRecorder { return e.userinfo(http.MethodGet, machine.access.Token, nil) },
			401, `Bearer error="invalid_token"`},
		{"token in header and body", func() *httptest.ResponseRecorder {
			return e.userinfo(http.MethodPost, withOpenID.access.Token, url.Values{"access_token": {withOpenID.access.Token}})
		}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			rec := tc.rec()
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body.String())
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, tc.challenge) || (tc.challenge == "" && got != "") {
				t.Fatalf("WWW-Authenticate = %q, want prefix %q", got, tc.challenge)
			}
		})
	}

	// Revoked after the fact: refused.
	e.t = t
	if status, _ := e.revoke(c, withOpenID.access.Token, ""); status != http.StatusOK {
		t.Fatal("revoke failed")
	}
	if rec := e.userinfo(http.MethodGet, withOpenID.access.Token, nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", rec.Code)
	}
}

func TestUserinfoSigned(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client(func(c *domain.Client) { c.UserinfoSignedResponseAlg = "ES256" })
	u := e.user("alice")
	p := e.issue(c, u, "openid")
	rec := e.userinfo(http.MethodGet, p.access.Token, nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/jwt" {
		t.Fatalf("userinfo = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	claims, hdr := e.decodeJWT(rec.Body.String())
	if hdr.Alg != "ES256" {
		t.Errorf("alg = %s", hdr.Alg)
	}
	want := map[string]any{"iss": tokenTestIssuer, "aud": c.ID.String(), "sub": u.ID.String(), "username": "alice"}
	if len(claims) != len(want) {
		t.Errorf("claims = %v, want %v", claims, want)
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
}
