package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
)

// TestTokenEndpointErrors pins the status and error code of every way a
// token request fails.
func TestTokenEndpointErrors(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()

	// codeCase redeems a fresh grant: client adjusts the client before it
	// is stored, grant the grant (or the fixtures), form the request.
	type codeCaseOpts struct {
		client func(*domain.Client)
		grant  func(*tokenEnv, *domain.BrowserSession, *grantOpts)
		form   func(url.Values)
	}
	codeCase := func(o codeCaseOpts) func(e *tokenEnv) url.Values {
		return func(e *tokenEnv) url.Values {
			var c *domain.Client
			if o.client != nil {
				c = e.client(o.client)
			} else {
				c = e.client()
			}
			bs := e.login(e.user("u" + strings.ToLower(c.ID.String()[16:])))
			var g grantOpts
			if o.grant != nil {
				o.grant(e, bs, &g)
			}
			f := codeForm(c, e.fulfilledGrant(c, bs, g))
			if o.form != nil {
				o.form(f)
			}
			return f
		}
	}
	withS256 := func(_ *tokenEnv, _ *domain.BrowserSession, o *grantOpts) {
		o.challenge, o.method = s256Challenge(pkceVerifier), "S256"
	}
	// deviceCase polls with a device grant in the given state; form
	// adjusts the request.
	deviceCase := func(state func(*tokenEnv, *domain.DeviceCodeGrant, *domain.BrowserSession), form func(url.Values)) func(e *tokenEnv) url.Values {
		return func(e *tokenEnv) url.Values {
			c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
			bs := e.login(e.user("d" + strings.ToLower(c.ID.String()[16:])))
			g := e.deviceGrant(c, []string{"openid"})
			if state != nil {
				state(e, g, bs)
			}
			f := url.Values{"grant_type": {grantTypeDeviceCode}, "device_code": {g.DeviceCode}, "client_id": {c.ID.String()}}
			if form != nil {
				form(f)
			}
			return f
		}
	}
	fulfil := func(e *tokenEnv, g *domain.DeviceCodeGrant, bs *domain.BrowserSession) {
		e.must(e.db.DeviceCodeGrants().Fulfill(ctx, g, bs.ID))
	}

	cases := []struct {
		name   string
		form   func(e *tokenEnv) url.Values
		status int
		code   ErrorCode
	}{
		{"missing grant_type", func(e *tokenEnv) url.Values {
			return url.Values{"client_id": {e.client().ID.String()}}
		}, 400, ErrInvalidRequest},
		{"unsupported grant_type", func(e *tokenEnv) url.Values {
			return url.Values{"grant_type": {"password"}, "client_id": {e.client().ID.String()}}
		}, 400, ErrUnsupportedGrantType},
		{"implicit is not a token grant", func(e *tokenEnv) url.Values {
			return url.Values{"grant_type": {"implicit"}, "client_id": {e.client().ID.String()}}
		}, 400, ErrUnsupportedGrantType},
		{"unknown client", func(e *tokenEnv) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {"01H00000000000000000000000"}}
		}, 401, ErrInvalidClient},
		{"repeated parameter", codeCase(codeCaseOpts{form: func(f url.Values) { f.Add("code", "again") }}), 400, ErrInvalidRequest},

		// authorization_code
		{"code: client lacks the grant type", codeCase(codeCaseOpts{client: func(c *domain.Client) { c.GrantAuthorizationCode = false }}),
			401, ErrUnauthorizedClient},
		{"code: missing code", codeCase(codeCaseOpts{form: func(f url.Values) { f.Del("code") }}), 400, ErrInvalidRequest},
		{"code: unknown code", codeCase(codeCaseOpts{form: func(f url.Values) { f.Set("code", "nope") }}), 400, ErrInvalidGrant},
		{"code: another client's code", codeCase(codeCaseOpts{form: func(f url.Values) { f.Set("client_id", e.client().ID.String()) }}),
			401, ErrUnauthorizedClient},
		{"code: redirect_uri mismatch", codeCase(codeCaseOpts{form: func(f url.Values) { f.Set("redirect_uri", "https://evil.example.com/cb") }}),
			400, ErrInvalidGrant},
		{"code: redirect_uri missing but sent to /authorize", codeCase(codeCaseOpts{
			grant: func(_ *tokenEnv, _ *domain.BrowserSession, o *grantOpts) { o.rawRedirect = true },
			form:  func(f url.Values) { f.Del("redirect_uri") },
		}), 400, ErrInvalidRequest},
		{"code: not yet approved", func(e *tokenEnv) url.Values {
			c := e.client()
			g := &domain.AuthorizationGrant{ClientID: c.ID, RedirectURI: tokenTestRedirectURI, ResponseMode: "query",
				ResponseTypeCode: true, Code: "pending-code-" + c.ID.String()}
			e.must(e.db.AuthorizationGrants().Add(ctx, g))
			return codeForm(c, g)
		}, 400, ErrInvalidGrant},
		{"code: cancelled", func(e *tokenEnv) url.Values {
			c := e.client()
			g := &domain.AuthorizationGrant{ClientID: c.ID, RedirectURI: tokenTestRedirectURI, ResponseMode: "query",
				ResponseTypeCode: true, Code: "cancelled-code-" + c.ID.String()}
			e.must(e.db.AuthorizationGrants().Add(ctx, g))
			e.must(e.db.AuthorizationGrants().Cancel(ctx, g))
			return codeForm(c, g)
		}, 400, ErrInvalidGrant},
		{"code: exchanged more than 10 minutes after consent", func(e *tokenEnv) url.Values {
			f := codeCase(codeCaseOpts{})(e)
			e.clock.Advance(10*time.Minute + time.Second)
			return f
		}, 400, ErrInvalidGrant},
		{"code: PKCE challenge without verifier", codeCase(codeCaseOpts{grant: withS256}), 400, ErrInvalidGrant},
		{"code: PKCE verifier without challenge", codeCase(codeCaseOpts{form: func(f url.Values) { f.Set("code_verifier", pkceVerifier) }}),
			400, ErrInvalidGrant},
		{"code: PKCE wrong verifier", codeCase(codeCaseOpts{grant: withS256, form: func(f url.Values) { f.Set("code_verifier", strings.Repeat("b", 43)) }}),
			400, ErrInvalidGrant},
		{"code: browser session ended", codeCase(codeCaseOpts{grant: func(e *tokenEnv, bs *domain.BrowserSession, _ *grantOpts) {
			e.must(e.db.BrowserSessions().Finish(ctx, bs))
		}}), 400, ErrInvalidGrant},
		{"code: user locked", codeCase(codeCaseOpts{grant: func(e *tokenEnv, bs *domain.BrowserSession, _ *grantOpts) {
			u, err := e.db.Users().Lookup(ctx, bs.UserID)
			e.must(err)
			u.Lock(e.clock.Now())
			e.must(e.db.Users().Update(ctx, u))
		}}), 400, ErrInvalidGrant},

		// refresh_token
		{"refresh: client lacks the grant type", func(e *tokenEnv) url.Values {
			c := e.client(func(c *domain.Client) { c.GrantRefreshToken = false })
			p := e.issue(c, e.user("r1"), "openid")
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p.refresh.Token}, "client_id": {c.ID.String()}}
		}, 401, ErrUnauthorizedClient},
		{"refresh: missing refresh_token", func(e *tokenEnv) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "client_id": {e.client().ID.String()}}
		}, 400, ErrInvalidRequest},
		{"refresh: unknown token", func(e *tokenEnv) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"mar_nope"}, "client_id": {e.client().ID.String()}}
		}, 400, ErrInvalidGrant},
		{"refresh: another client's token", func(e *tokenEnv) url.Values {
			p := e.issue(e.client(), e.user("r2"), "openid")
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p.refresh.Token}, "client_id": {e.client().ID.String()}}
		}, 400, ErrInvalidGrant},
		{"refresh: session ended", func(e *tokenEnv) url.Values {
			c := e.client()
			p := e.issue(c, e.user("r3"), "openid")
			e.must(e.db.Sessions().Finish(ctx, p.session))
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p.refresh.Token}, "client_id": {c.ID.String()}}
		}, 400, ErrInvalidGrant},
		{"refresh: user deactivated", func(e *tokenEnv) url.Values {
			c := e.client()
			u := e.user("r4")
			p := e.issue(c, u, "openid")
			e.must(u.Deactivate(e.clock.Now()))
			e.must(e.db.Users().Update(ctx, u))
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p.refresh.Token}, "client_id": {c.ID.String()}}
		}, 400, ErrInvalidGrant},
		{"refresh: revoked token", func(e *tokenEnv) url.Values {
			c := e.client()
			p := e.issue(c, e.user("r5"), "openid")
			e.must(e.db.RefreshTokens().Revoke(ctx, p.refresh))
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p.refresh.Token}, "client_id": {c.ID.String()}}
		}, 400, ErrInvalidGrant},

		// client_credentials
		{"client_credentials: client lacks the grant type", func(e *tokenEnv) url.Values {
			c := e.client(e.withSecret)
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID.String()}, "client_secret": {tokenTestSecret}}
		}, 401, ErrUnauthorizedClient},
		{"client_credentials: scope refused by policy", func(e *tokenEnv) url.Values {
			c := e.client(e.withSecret, func(c *domain.Client) { c.GrantClientCredentials = true })
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID.String()}, "client_secret": {tokenTestSecret},
				"scope": {"urn:matrix:client:api:*"}}
		}, 403, ErrInvalidScope},

		// device_code
		{"device: client lacks the grant type", func(e *tokenEnv) url.Values {
			f := deviceCase(nil, nil)(e)
			f.Set("client_id", e.client().ID.String())
			return f
		}, 401, ErrUnauthorizedClient},
		{"device: missing device_code", deviceCase(nil, func(f url.Values) { f.Del("device_code") }), 400, ErrInvalidRequest},
		{"device: unknown device_code", deviceCase(nil, func(f url.Values) { f.Set("device_code", "nope") }), 400, ErrInvalidGrant},
		{"device: another client's device_code", func(e *tokenEnv) url.Values {
			f := deviceCase(nil, nil)(e)
			f.Set("client_id", e.client(func(c *domain.Client) { c.GrantDeviceCode = true }).ID.String())
			return f
		}, 400, ErrInvalidGrant},
		{"device: pending", deviceCase(nil, nil), 403, ErrAuthorizationPending},
		{"device: rejected", deviceCase(func(e *tokenEnv, g *domain.DeviceCodeGrant, bs *domain.BrowserSession) {
			e.must(e.db.DeviceCodeGrants().Reject(ctx, g, bs.ID))
		}, nil), 403, ErrAccessDenied},
		{"device: expired", deviceCase(func(e *tokenEnv, g *domain.DeviceCodeGrant, bs *domain.BrowserSession) {
			fulfil(e, g, bs)
			e.clock.Advance(20 * time.Minute)
		}, nil), 403, ErrExpiredToken},
		{"device: already exchanged", func(e *tokenEnv) url.Values {
			f := deviceCase(fulfil, nil)(e)
			wantTokenOK(e.t, e.tokenRequest(f))
			return f
		}, 400, ErrInvalidGrant},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			defer func() { e.t = nil }()
			e.clock.Set(tokenTestStart)
			form := tc.form(e)
			rec := e.tokenRequest(form)
			m := wantTokenError(t, rec, tc.status, tc.code)
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("error response Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
			if tc.status == http.StatusBadRequest && tc.code == ErrInvalidGrant && strings.Contains(tc.name, "PKCE") {
				if d, _ := m["error_description"].(string); !strings.HasPrefix(d, "PKCE verification failed: ") {
					t.Errorf("error_description = %q", d)
				}
			}
		})
	}
}

func TestTokenEndpointRefusesOtherContentTypes(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	req, _ := http.NewRequest(http.MethodPost, routes.OAuth2Token,
		strings.NewReader(`{"grant_type":"authorization_code","client_id":"`+c.ID.String()+`"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	wantTokenError(t, rec, 400, ErrInvalidRequest)
}

func TestDeviceCodeGrantDisabled(t *testing.T) {
	e := newTokenEnv(t, func(h *Handler) { h.Settings.DeviceCodeGrantEnabled = false })
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
	rec := e.tokenRequest(url.Values{"grant_type": {grantTypeDeviceCode}, "device_code": {"x"}, "client_id": {c.ID.String()}})
	wantTokenError(t, rec, 400, ErrUnsupportedGrantType)
	// The device authorization endpoint is not even mounted.
	if rec := e.post(routes.OAuth2DeviceAuthorization, url.Values{"client_id": {c.ID.String()}}, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("device authorization status = %d, want 404", rec.Code)
	}
}
