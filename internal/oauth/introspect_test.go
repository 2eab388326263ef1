package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/tokens"
)

// wantFields compares an introspection answer with want, key by key.
func wantFields(t *testing.T, got, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("introspection =\n%s\nwant\n%s", g, w)
	}
}

func unix(t time.Time) float64 { return float64(t.Unix()) }

func TestIntrospectionCallerAuthentication(t *testing.T) {
	e := newTokenEnv(t)
	p := e.issue(e.client(), e.user("alice"), "urn:matrix:client:api:*")
	form := url.Values{"token": {p.access.Token}}

	// A wrong shared secret: exactly upstream's answer.
	rec := e.post(routes.OAuth2Introspection, form, http.Header{"Authorization": {"Bearer not-the-secret"}})
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d", rec.Code)
	}
	if got := rec.Body.String(); got != `{"error":"access_denied","error_description":"bearer token presented is invalid"}`+"\n" {
		t.Fatalf("body = %s", got)
	}

	// No credentials at all.
	wantTokenError(t, e.post(routes.OAuth2Introspection, form, nil), http.StatusUnauthorized, ErrInvalidClient)

	// A public client may not introspect.
	public := e.client()
	pf := url.Values{"token": {p.access.Token}, "client_id": {public.ID.String()}}
	wantTokenError(t, e.post(routes.OAuth2Introspection, pf, nil), http.StatusUnauthorized, ErrAccessDenied)

	// A confidential client may, with its credentials.
	conf := e.client(e.withSecret)
	cf := url.Values{"token": {p.access.Token}, "client_id": {conf.ID.String()}, "client_secret": {"wrong"}}
	wantTokenError(t, e.post(routes.OAuth2Introspection, cf, nil), http.StatusUnauthorized, ErrInvalidClient)
	cf.Set("client_secret", tokenTestSecret)
	rec = e.post(routes.OAuth2Introspection, cf, nil)
	if rec.Code != http.StatusOK || jsonBody(t, rec)["active"] != true {
		t.Fatalf("confidential client: %d %s", rec.Code, rec.Body.String())
	}

	// The shared secret without a token.
	rec = e.post(routes.OAuth2Introspection, url.Values{}, http.Header{"Authorization": {"Bearer " + e.hs.Secret()}})
	wantTokenError(t, rec, http.StatusBadRequest, ErrInvalidRequest)
}

func TestIntrospectOAuthTokens(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	u := e.user("alice")
	created := e.clock.Now()
	p := e.issue(c, u, "urn:matrix:client:device:ABCDEFGHIJ", "openid", "urn:matrix:client:api:*")
	e.clock.Advance(90*time.Second + 500*time.Millisecond)

	scope := "openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ " +
		"urn:matrix:org.matrix.msc2967.client:api:* urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ"
	for _, header := range []http.Header{nil, {"X-Mas-Supports-Device-Id": {"0"}}} {
		wantFields(t, e.introspect(p.access.Token, header), map[string]any{
			"active":     true,
			"scope":      scope,
			"client_id":  c.ID.String(),
			"username":   "alice",
			"token_type": "access_token",
			"exp":        unix(created.Add(5 * time.Minute)),
			"expires_in": float64(209), // 300 - 90.5, rounded down
			"iat":        unix(created),
			"nbf":        unix(created),
			"sub":        u.ID.String(),
			"jti":        p.access.ID.String(),
		})
	}
	wantFields(t, e.introspect(p.refresh.Token, nil), map[string]any{
		"active":     true,
		"scope":      scope,
		"client_id":  c.ID.String(),
		"username":   "alice",
		"token_type": "refresh_token",
		"iat":        unix(created),
		"nbf":        unix(created),
		"sub":        u.ID.String(),
		"jti":        p.refresh.ID.String(),
	})

	// The unstable forms get their stable equivalents.
	q := e.issue(c, u, "urn:matrix:org.matrix.msc2967.client:api:*", "urn:matrix:org.matrix.msc2967.client:device:KLMNOPQRST")
	got := e.introspect(q.access.Token, nil)
	want := "urn:matrix:client:api:* urn:matrix:client:device:KLMNOPQRST " +
		"urn:matrix:org.matrix.msc2967.client:api:* urn:matrix:org.matrix.msc2967.client:device:KLMNOPQRST"
	if got["scope"] != want {
		t.Fatalf("scope = %v, want %q", got["scope"], want)
	}
}

func TestIntrospectMarksFirstUseAndActivity(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	p := e.issue(e.client(), e.user("alice"), "urn:matrix:client:api:*")
	first := e.clock.Now()
	e.introspect(p.access.Token, nil)
	at, err := e.db.AccessTokens().Lookup(ctx, p.access.ID)
	e.must(err)
	if at.FirstUsedAt == nil || !at.FirstUsedAt.Equal(first) {
		t.Fatalf("first_used_at = %v, want %v", at.FirstUsedAt, first)
	}
	// Activity is batched: nothing is written by the request itself.
	if s := e.session(p.session.ID); s.LastActiveAt != nil {
		t.Fatalf("last_active_at = %v written by the request", s.LastActiveAt)
	}
	e.flushActivity()
	if s := e.session(p.session.ID); s.LastActiveAt == nil || !s.LastActiveAt.Equal(first) {
		t.Fatalf("last_active_at = %v, want %v", s.LastActiveAt, first)
	}

	// A batch carries the newest sighting of each session.
	e.clock.Advance(59 * time.Second)
	e.introspect(p.access.Token, nil)
	e.clock.Advance(time.Second)
	e.introspect(p.access.Token, nil)
	e.flushActivity()
	if s := e.session(p.session.ID); !s.LastActiveAt.Equal(e.clock.Now()) {
		t.Fatalf("last_active_at = %v, want %v", s.LastActiveAt, e.clock.Now())
	}
	at, err = e.db.AccessTokens().Lookup(ctx, p.access.ID)
	e.must(err)
	if !at.FirstUsedAt.Equal(first) {
		t.Fatalf("first_used_at moved to %v", at.FirstUsedAt)
	}

	// An inactive answer records nothing.
	e.clock.Advance(time.Hour)
	if e.active(p.access.Token) {
		t.Fatal("expired token active")
	}
	e.flushActivity()
	if s := e.session(p.session.ID); s.LastActiveAt.Equal(e.clock.Now()) {
		t.Fatal("activity recorded for an expired token")
	}
}

// TestIntrospectMarksCompatFirstUse: the first sighting of a compat access
// token is what tells a lost compat refresh response from a replay.
func TestIntrospectMarksCompatFirstUse(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	_, at := e.compatToken(e.user("alice"), "COMPATDEV1", false, nil)
	first := e.clock.Now()
	e.introspect(at.Token, nil)
	e.clock.Advance(time.Hour)
	e.introspect(at.Token, nil)
	got, err := e.db.CompatAccessTokens().Lookup(ctx, at.ID)
	e.must(err)
	if got.FirstUsedAt == nil || !got.FirstUsedAt.Equal(first) {
		t.Fatalf("first_used_at = %v, want %v", got.FirstUsedAt, first)
	}
}

// compatToken stores a compat session and an access token for it.
func (e *tokenEnv) compatToken(u *domain.User, device string, admin bool, expires *time.Time) (*domain.CompatSession, *domain.CompatAccessToken) {
	e.t.Helper()
	ctx := context.Background()
	s := &domain.CompatSession{UserID: u.ID, DeviceID: device, IsSynapseAdmin: admin}
	e.must(e.db.CompatSessions().Add(ctx, s))
	tok, err := tokens.Generate(tokens.CompatAccessToken, rand.Reader)
	e.must(err)
	at, err := e.db.CompatAccessTokens().Add(ctx, s.ID, tok, expires)
	e.must(err)
	return s, at
}

func TestIntrospectCompatTokens(t *testing.T) {
	e := newTokenEnv(t)
	u := e.user("bob")
	created := e.clock.Now()
	s, at := e.compatToken(u, "COMPATDEV1", true, nil)
	e.clock.Advance(time.Minute)

	// Synapse's way: the device in its own field.
	wantFields(t, e.introspect(at.Token, nil), map[string]any{
		"active":     true,
		"scope":      "urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:* urn:synapse:admin:*",
		"client_id":  "legacy",
		"username":   "bob",
		"token_type": "access_token",
		"iat":        unix(created),
		"nbf":        unix(created),
		"sub":        u.ID.String(),
		"device_id":  "COMPATDEV1",
	})
	// Without the header the device is in the scope too.
	noHeader := http.Header{"X-Mas-Supports-Device-Id": {"yes"}}
	wantFields(t, e.introspect(at.Token, noHeader), map[string]any{
		"active": true,
		"scope": "urn:matrix:client:api:* urn:matrix:client:device:COMPATDEV1 urn:matrix:org.matrix.msc2967.client:api:* " +
			"urn:matrix:org.matrix.msc2967.client:device:COMPATDEV1 urn:synapse:admin:*",
		"client_id":  "legacy",
		"username":   "bob",
		"token_type": "access_token",
		"iat":        unix(created),
		"nbf":        unix(created),
		"sub":        u.ID.String(),
		"device_id":  "COMPATDEV1",
	})

	// An expiring token says when; a non-admin session has no admin scope.
	exp := e.clock.Now().Add(5 * time.Minute)
	_, expiring := e.compatToken(u, "COMPATDEV2", false, &exp)
	got := e.introspect(expiring.Token, nil)
	if got["exp"] != unix(exp) || got["expires_in"] != float64(300) ||
		got["scope"] != "urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*" {
		t.Fatalf("expiring compat token = %v", got)
	}

	// The refresh token of a compat session.
	rtStr, err := tokens.Generate(tokens.CompatRefreshToken, rand.Reader)
	e.must(err)
	rt, err := e.db.CompatRefreshTokens().Add(context.Background(), s.ID, at.ID, rtStr)
	e.must(err)
	got = e.introspect(rt.Token, nil)
	if got["active"] != true || got["token_type"] != "refresh_token" || got["device_id"] != "COMPATDEV1" || got["iat"] != unix(rt.CreatedAt) {
		t.Fatalf("compat refresh token = %v", got)
	}
	if _, ok := got["exp"]; ok {
		t.Fatalf("compat refresh token with an expiry: %v", got)
	}

	// A device ID that cannot be a scope token only works for callers
	// that take device_id.
	_, odd := e.compatToken(u, "odd device", false, nil)
	if got := e.introspect(odd.Token, nil); got["active"] != true || got["device_id"] != "odd device" {
		t.Fatalf("odd device with the header = %v", got)
	}
	if e.introspect(odd.Token, noHeader)["active"] != false {
		t.Fatal("odd device without the header is active")
	}

	// Tokens imported from Synapse.
	ctx := context.Background()
	imported := &domain.CompatSession{UserID: u.ID}
	e.must(e.db.CompatSessions().Add(ctx, imported))
	_, err = e.db.CompatAccessTokens().Add(ctx, imported.ID, "syt_Ym9i_ImportedTokenValue_0abcde", nil)
	e.must(err)
	got = e.introspect("syt_Ym9i_ImportedTokenValue_0abcde", nil)
	if got["active"] != true || got["username"] != "bob" {
		t.Fatalf("imported token = %v", got)
	}
	if _, ok := got["device_id"]; ok {
		t.Fatalf("deviceless session with a device_id: %v", got)
	}
}

// personalToken stores a personal session and its token.
func (e *tokenEnv) personalToken(owner *domain.User, ownerClient *domain.Client, actor *domain.User, expires *time.Time) (*domain.PersonalSession, string) {
	e.t.Helper()
	ctx := context.Background()
	s := &domain.PersonalSession{ActorUserID: actor.ID, Scope: []string{"urn:matrix:client:api:*"}}
	if owner != nil {
		s.OwnerUserID = &owner.ID
	} else {
		s.OwnerClientID = &ownerClient.ID
	}
	e.must(e.db.PersonalSessions().Add(ctx, s))
	tok, err := tokens.Generate(tokens.PersonalAccessToken, rand.Reader)
	e.must(err)
	sum := sha256.Sum256([]byte(tok))
	_, err = e.db.PersonalAccessTokens().Add(ctx, s.ID, sum[:], expires)
	e.must(err)
	return s, tok
}

func TestIntrospectPersonalTokens(t *testing.T) {
	e := newTokenEnv(t)
	owner := e.user("alice")
	bot := e.user("bot")
	created := e.clock.Now()
	exp := created.Add(24 * time.Hour)
	_, tok := e.personalToken(owner, nil, bot, &exp)
	e.clock.Advance(time.Hour)
	wantFields(t, e.introspect(tok, nil), map[string]any{
		"active":     true,
		"scope":      "urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*",
		"username":   "bot",
		"token_type": "access_token",
		"exp":        unix(exp),
		"expires_in": float64(23 * 3600),
		"iat":        unix(created),
		"nbf":        unix(created),
		"sub":        bot.ID.String(),
	})

	// Owned by a client: the answer names it.
	c := e.client(func(c *domain.Client) { c.GrantClientCredentials = true })
	_, tok2 := e.personalToken(nil, c, bot, nil)
	got := e.introspect(tok2, nil)
	if got["active"] != true || got["client_id"] != c.ID.String() || got["sub"] != bot.ID.String() {
		t.Fatalf("client-owned personal token = %v", got)
	}
	if _, ok := got["expires_in"]; ok {
		t.Fatalf("non-expiring personal token with expires_in: %v", got)
	}
}

// TestIntrospectInactive lists what makes a token inactive. Every case
// must get exactly {"active":false}.
func TestIntrospectInactive(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	c := e.client()
	cases := []struct {
		name   string
		token  func() string
		header http.Header
	}{
		{"malformed", func() string { return "not-a-token" }, nil},
		{"bad checksum", func() string { return "mat_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_000000" }, nil},
		{"unknown access token", func() string {
			tok, _ := tokens.Generate(tokens.AccessToken, rand.Reader)
			return tok
		}, nil},
		{"expired", func() string {
			p := e.issue(c, e.user("expired"), "openid")
			e.clock.Advance(5 * time.Minute)
			return p.access.Token
		}, nil},
		{"revoked", func() string {
			p := e.issue(c, e.user("revoked"), "openid")
			e.must(e.db.AccessTokens().Revoke(ctx, p.access))
			return p.access.Token
		}, nil},
		{"session finished", func() string {
			p := e.issue(c, e.user("finished"), "openid")
			e.must(e.db.Sessions().Finish(ctx, p.session))
			return p.access.Token
		}, nil},
		{"refresh token of a finished session", func() string {
			p := e.issue(c, e.user("finishedrt"), "openid")
			e.must(e.db.Sessions().Finish(ctx, p.session))
			return p.refresh.Token
		}, nil},
		{"consumed refresh token", func() string {
			p := e.issue(c, e.user("consumed"), "openid")
			q := e.issue(c, e.user("consumed2"), "openid")
			e.must(e.db.RefreshTokens().Consume(ctx, p.refresh, q.refresh.ID))
			return p.refresh.Token
		}, nil},
		{"locked user", func() string {
			u := e.user("locked")
			p := e.issue(c, u, "openid")
			u.Lock(e.clock.Now())
			e.must(e.db.Users().Update(ctx, u))
			return p.access.Token
		}, nil},
		{"deactivated user (refresh token)", func() string {
			u := e.user("deactivated")
			p := e.issue(c, u, "openid")
			e.must(u.Deactivate(e.clock.Now()))
			e.must(e.db.Users().Update(ctx, u))
			return p.refresh.Token
		}, nil},
		{"hint mismatch", func() string { return e.issue(c, e.user("hint1"), "openid").access.Token },
			http.Header{"X-Hint": {hintRefreshToken}}},
		{"unknown hint", func() string { return e.issue(c, e.user("hint2"), "openid").access.Token },
			http.Header{"X-Hint": {"device_code"}}},
		{"compat session finished", func() string {
			s, at := e.compatToken(e.user("compatfin"), "DEV", false, nil)
			e.must(e.db.CompatSessions().Finish(ctx, s))
			return at.Token
		}, nil},
		{"compat token expired", func() string {
			exp := e.clock.Now().Add(time.Second)
			_, at := e.compatToken(e.user("compatexp"), "DEV", false, &exp)
			e.clock.Advance(time.Second)
			return at.Token
		}, nil},
		{"compat user locked", func() string {
			u := e.user("compatlocked")
			_, at := e.compatToken(u, "DEV", false, nil)
			u.Lock(e.clock.Now())
			e.must(e.db.Users().Update(ctx, u))
			return at.Token
		}, nil},
		{"personal token expired", func() string {
			exp := e.clock.Now().Add(time.Minute)
			u := e.user("patexp")
			_, tok := e.personalToken(u, nil, u, &exp)
			e.clock.Advance(time.Minute)
			return tok
		}, nil},
		{"personal session revoked", func() string {
			u := e.user("patrev")
			s, tok := e.personalToken(u, nil, u, nil)
			e.must(e.db.PersonalSessions().Revoke(ctx, s))
			return tok
		}, nil},
		{"personal session owner deactivated", func() string {
			owner := e.user("patowner")
			_, tok := e.personalToken(owner, nil, e.user("patactor"), nil)
			e.must(owner.Deactivate(e.clock.Now()))
			e.must(e.db.Users().Update(ctx, owner))
			return tok
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			token := tc.token()
			form := url.Values{"token": {token}}
			if hint := tc.header.Get("X-Hint"); hint != "" {
				form.Set("token_type_hint", hint)
			}
			rec := e.post(routes.OAuth2Introspection, form, http.Header{"Authorization": {"Bearer " + e.hs.Secret()}})
			if rec.Code != http.StatusOK || rec.Body.String() != `{"active":false}`+"\n" {
				t.Fatalf("answer = %d %s, want 200 {\"active\":false}", rec.Code, rec.Body.String())
			}
		})
	}

	// The matching hint is fine.
	e.t = t
	p := e.issue(c, e.user("hintok"), "openid")
	form := url.Values{"token": {p.refresh.Token}, "token_type_hint": {hintRefreshToken}}
	rec := e.post(routes.OAuth2Introspection, form, http.Header{"Authorization": {"Bearer " + e.hs.Secret()}})
	if jsonBody(t, rec)["active"] != true {
		t.Fatalf("refresh token with its own hint: %s", rec.Body.String())
	}
}

// TestIntrospectionThroughSynapse runs the whole loop over real HTTP: a
// client gets a token, the fake Synapse introspects it on whoami, and after
// revocation and the end of its cache Synapse refuses it.
func TestIntrospectionThroughSynapse(t *testing.T) {
	e := newTokenEnv(t)
	srv := httptest.NewServer(e.mux)
	t.Cleanup(srv.Close)
	e.hs.SetIntrospectionURL(srv.URL + routes.OAuth2Introspection)

	c := e.client()
	g := e.fulfilledGrant(c, e.login(e.user("alice")), grantOpts{})
	m := wantTokenOK(t, e.tokenRequest(codeForm(c, g)))
	access := m["access_token"].(string)

	whoami := func() (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, e.hs.URL()+"/_matrix/client/v3/account/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		res, err := http.DefaultClient.Do(req)
		e.must(err)
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	status, body := whoami()
	if status != http.StatusOK || body["user_id"] != "@alice:"+e.hs.ServerName() || body["device_id"] != "DEVICEABCD" {
		t.Fatalf("whoami = %d %v", status, body)
	}

	rec := e.post(routes.OAuth2Revocation, url.Values{"token": {access}, "client_id": {c.ID.String()}}, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("revoke = %d %s", rec.Code, rec.Body.String())
	}
	e.hs.FlushIntrospectionCache()
	if status, body := whoami(); status != http.StatusUnauthorized || body["errcode"] != "M_UNKNOWN_TOKEN" {
		t.Fatalf("whoami after revocation = %d %v", status, body)
	}
}
