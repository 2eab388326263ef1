package session_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/testdb"
)

type fixture struct {
	store store.Store
	clock *clocktest.Fake
	enc   *encrypt.Encrypter
	m     *session.Manager
}

func newFixture(t *testing.T, base string) *fixture {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := testdb.Open(t, clk)
	urls, err := routes.NewURLBuilder(base, "")
	if err != nil {
		t.Fatal(err)
	}
	enc := encrypt.New([32]byte{1, 2, 3}, rand.Reader)
	m, err := session.New(session.Options{Store: s, Encrypter: enc, URLs: urls, Clock: clk, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: s, clock: clk, enc: enc, m: m}
}

func (f *fixture) user(t *testing.T, name string) *domain.User {
	t.Helper()
	u, err := f.store.Users().Add(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// withCookies returns a request carrying the cookies a response set.
func withCookies(rec *httptest.ResponseRecorder, method, target string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge >= 0 {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	return r
}

func cookieNamed(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestStartCurrentEnd(t *testing.T) {
	f := newFixture(t, "https://auth.example.com/auth/")
	u := f.user(t, "alice")

	rec := httptest.NewRecorder()
	bs, err := f.m.Start(rec, httptest.NewRequest("POST", "/login", nil), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := cookieNamed(rec, session.CookieSession)
	if c == nil {
		t.Fatal("no session cookie")
	}
	if c.Path != "/auth/" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 {
		t.Errorf("cookie attributes: %+v", c)
	}

	cur, err := f.m.Current(withCookies(rec, "GET", "/"))
	if err != nil || cur == nil {
		t.Fatalf("Current = %v, %v", cur, err)
	}
	if cur.Session.ID != bs.ID || cur.User.ID != u.ID {
		t.Errorf("Current = %+v", cur)
	}

	// Locking the user hides the session without ending it.
	u.Lock(f.clock.Now())
	if err := f.store.Users().Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if cur, err := f.m.Current(withCookies(rec, "GET", "/")); err != nil || cur != nil {
		t.Errorf("locked user: Current = %v, %v", cur, err)
	}
	u.Unlock()
	if err := f.store.Users().Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}

	end := httptest.NewRecorder()
	if err := f.m.End(end, withCookies(rec, "POST", "/logout")); err != nil {
		t.Fatal(err)
	}
	if c := cookieNamed(end, session.CookieSession); c == nil || c.MaxAge >= 0 {
		t.Errorf("End did not clear the cookie: %+v", c)
	}
	// The old cookie no longer works: the session is finished.
	if cur, err := f.m.Current(withCookies(rec, "GET", "/")); err != nil || cur != nil {
		t.Errorf("after End: Current = %v, %v", cur, err)
	}
	got, err := f.store.BrowserSessions().Lookup(context.Background(), bs.ID)
	if err != nil || got.Active() {
		t.Errorf("session still active: %+v, %v", got, err)
	}
	// Ending again is harmless.
	if err := f.m.End(httptest.NewRecorder(), withCookies(rec, "POST", "/logout")); err != nil {
		t.Error(err)
	}
}

func TestStartRecordsPasswordAuthentication(t *testing.T) {
	f := newFixture(t, "http://localhost:8080/")
	ctx := context.Background()
	u := f.user(t, "bob")
	pw, err := f.store.Passwords().Add(ctx, u.ID, "hash", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	bs, err := f.m.Start(rec, httptest.NewRequest("POST", "/login", nil), u, &pw.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.store.BrowserSessions().LastAuthentication(ctx, bs.ID)
	if err != nil || a.PasswordID == nil || *a.PasswordID != pw.ID {
		t.Errorf("authentication = %+v, %v", a, err)
	}
	if c := cookieNamed(rec, session.CookieSession); c.Path != "/" || c.Secure {
		t.Errorf("http base at root: %+v", c)
	}
}

func TestCurrentIgnoresBadCookies(t *testing.T) {
	f := newFixture(t, "https://auth.example.com/")
	u := f.user(t, "carol")
	rec := httptest.NewRecorder()
	bs, err := f.m.Start(rec, httptest.NewRequest("POST", "/login", nil), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	good := cookieNamed(rec, session.CookieSession).Value
	// A payload sealed under another cookie's name must not be accepted.
	otherName, err := f.enc.SealCookie(session.CookieCSRF, []byte(`{"current":"`+bs.ID.String()+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	notJSON, _ := f.enc.SealCookie(session.CookieSession, []byte(`nope`))
	unknownID, _ := f.enc.SealCookie(session.CookieSession, []byte(`{"current":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}`))
	null, _ := f.enc.SealCookie(session.CookieSession, []byte(`{"current":null}`))
	flipped := []byte(good)
	flipped[len(flipped)/2] ^= 1

	for name, value := range map[string]string{
		"tampered":   string(flipped),
		"truncated":  good[:len(good)-4],
		"plain":      `{"current":"` + bs.ID.String() + `"}`,
		"other name": otherName,
		"not json":   notJSON,
		"unknown id": unknownID,
		"null":       null,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: session.CookieSession, Value: value})
		cur, err := f.m.Current(r)
		if err != nil || cur != nil {
			t.Errorf("%s: Current = %v, %v", name, cur, err)
		}
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, "https://auth.example.com/")

	rec := httptest.NewRecorder()
	token := f.m.CSRFToken(rec, httptest.NewRequest("GET", "/login", nil))
	if token == "" {
		t.Fatal("empty token")
	}
	if c := cookieNamed(rec, session.CookieCSRF); c == nil || c.MaxAge != 0 || !c.HttpOnly {
		t.Fatalf("csrf cookie: %+v", c)
	}
	// The same browser gets the same token on the next page.
	rec2 := httptest.NewRecorder()
	if again := f.m.CSRFToken(rec2, withCookies(rec, "GET", "/login")); again != token {
		t.Errorf("token changed: %q then %q", token, again)
	}

	post := func(formToken string, withCookie bool, header map[string]string) *http.Request {
		body := url.Values{session.CSRFField: {formToken}}.Encode()
		r := httptest.NewRequest("POST", "https://auth.example.com/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			r.Header.Set(k, v)
		}
		if withCookie {
			r.AddCookie(&http.Cookie{Name: session.CookieCSRF, Value: cookieNamed(rec, session.CookieCSRF).Value})
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name   string
		r      *http.Request
		want   bool
		before func()
	}{
		{name: "valid", r: post(token, true, nil), want: true},
		{name: "same origin browser", r: post(token, true, map[string]string{"Sec-Fetch-Site": "same-origin"}), want: true},
		{name: "missing field", r: post("", true, nil)},
		{name: "wrong token", r: post(strings.Repeat("A", len(token)), true, nil)},
		{name: "not base64", r: post("!!!", true, nil)},
		{name: "missing cookie", r: post(token, false, nil)},
		{name: "cross-site browser", r: post(token, true, map[string]string{"Sec-Fetch-Site": "cross-site"})},
		{name: "foreign origin", r: post(token, true, map[string]string{"Origin": "https://evil.example"})},
	}
	for _, tt := range tests {
		if got := f.m.CheckCSRF(tt.r); got != tt.want {
			t.Errorf("%s: CheckCSRF = %v, want %v", tt.name, got, tt.want)
		}
	}

	// Tokens expire an hour after the page that showed them.
	f.clock.Advance(time.Hour + time.Second)
	if f.m.CheckCSRF(post(token, true, nil)) {
		t.Error("expired token accepted")
	}
	rec3 := httptest.NewRecorder()
	if fresh := f.m.CSRFToken(rec3, withCookies(rec, "GET", "/login")); fresh == token || fresh == "" {
		t.Errorf("expired token reused: %q", fresh)
	}
}

func TestPostAuthAction(t *testing.T) {
	id := "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct {
		query      string
		wantNil    bool
		wantTarget string
	}{
		{query: "kind=continue_authorization_grant&id=" + id, wantTarget: "/consent/" + id},
		{query: "kind=continue_device_code_grant&id=" + id, wantTarget: "/device/" + id},
		{query: "kind=continue_compat_sso_login&id=" + id, wantTarget: "/complete-compat-sso/" + id},
		{query: "kind=link_upstream&id=" + id, wantTarget: "/upstream/link/" + id},
		{query: "kind=change_password", wantTarget: "/account/password/change"},
		{query: "kind=manage_account", wantTarget: "/account/"},
		{query: "kind=manage_account&action=org.matrix.device_view&device_id=ABC&evil=1", wantTarget: "/account/?action=org.matrix.device_view&device_id=ABC"},
		{query: "", wantNil: true},
		{query: "kind=continue_authorization_grant", wantNil: true},
		{query: "kind=continue_authorization_grant&id=../../evil", wantNil: true},
		{query: "kind=redirect&url=https://evil.example", wantNil: true},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		a := session.ParsePostAuthAction(q)
		if (a == nil) != tt.wantNil {
			t.Errorf("%q: got %+v", tt.query, a)
			continue
		}
		if a == nil {
			continue
		}
		if got := a.Target(); got != tt.wantTarget {
			t.Errorf("%q: Target = %q, want %q", tt.query, got, tt.wantTarget)
		}
		// The action survives a round trip through the query string.
		if again := session.ParsePostAuthAction(a.Query()); again == nil || again.Target() != a.Target() {
			t.Errorf("%q: round trip gave %+v", tt.query, again)
		}
	}
	var none *session.PostAuthAction
	if none.Target() != "/" || len(none.Query()) != 0 {
		t.Error("nil action")
	}
}
