package session_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/routes"
	"mas/internal/session"
)

func TestFlowCookie(t *testing.T) {
	f := newFixture(t, "https://auth.example.com/auth/")
	flows := f.m.FlowCookie("test-flows", time.Hour)
	gen := domain.NewIDGenerator(rand.Reader)
	first, second := gen.New(f.clock.Now()), gen.New(f.clock.Now())

	if flows.Has(httptest.NewRequest("GET", "/", nil), first) {
		t.Fatal("a browser without the cookie has a flow")
	}
	rec := httptest.NewRecorder()
	if err := flows.Add(rec, httptest.NewRequest("POST", "/", nil), first); err != nil {
		t.Fatal(err)
	}
	c := cookieNamed(rec, "test-flows")
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/auth/" || c.MaxAge != 3600 {
		t.Fatalf("cookie = %+v", c)
	}
	r := withCookies(rec, "GET", "/")
	if !flows.Has(r, first) || flows.Has(r, second) {
		t.Fatal("the cookie should list exactly the first flow")
	}

	// Adding keeps the earlier flows, up to a bound, oldest dropped first.
	rec2 := httptest.NewRecorder()
	if err := flows.Add(rec2, r, second); err != nil {
		t.Fatal(err)
	}
	r = withCookies(rec2, "GET", "/")
	if !flows.Has(r, first) || !flows.Has(r, second) {
		t.Fatal("the cookie should list both flows")
	}
	for range 10 {
		rec := httptest.NewRecorder()
		if err := flows.Add(rec, r, gen.New(f.clock.Now())); err != nil {
			t.Fatal(err)
		}
		r = withCookies(rec, "GET", "/")
	}
	if flows.Has(r, first) {
		t.Error("the oldest flow should have been forgotten")
	}
	if c, _ := r.Cookie("test-flows"); len(c.Value) > 1024 {
		t.Errorf("cookie grew to %d bytes", len(c.Value))
	}

	// A cookie of another name, key or a forged value lists nothing.
	other := f.m.FlowCookie("other-flows", time.Hour)
	if other.Has(withCookies(rec2, "GET", "/"), first) {
		t.Error("a flow cookie answered for another name")
	}
	urls, err := routes.NewURLBuilder("https://auth.example.com/auth/", "")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := session.New(session.Options{
		Store: f.store, Encrypter: encrypt.New([32]byte{9}, rand.Reader), URLs: urls, Clock: f.clock, Rand: rand.Reader,
	})
	if err != nil {
		t.Fatal(err)
	}
	if foreign.FlowCookie("test-flows", time.Hour).Has(withCookies(rec2, "GET", "/"), first) {
		t.Error("a cookie sealed with another key was accepted")
	}
	forged := httptest.NewRequest("GET", "/", nil)
	forged.AddCookie(&http.Cookie{Name: "test-flows", Value: `{"ids":["` + first.String() + `"]}`})
	if flows.Has(forged, first) {
		t.Error("an unsealed cookie was accepted")
	}
}
