package homeservertest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/homeserver/homeservertest"
)

// stubMAS stands in for the service's introspection endpoint.
type stubMAS struct {
	srv *httptest.Server

	mu       sync.Mutex
	status   int
	answers  map[string]string // token → JSON body
	requests []*http.Request
	forms    []url.Values
}

func newStubMAS(t *testing.T) *stubMAS {
	m := &stubMAS{status: http.StatusOK, answers: map[string]string{}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		m.mu.Lock()
		m.requests = append(m.requests, r)
		m.forms = append(m.forms, r.PostForm)
		status := m.status
		body, ok := m.answers[r.PostForm.Get("token")]
		m.mu.Unlock()
		if !ok {
			body = `{"active":false}`
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *stubMAS) URL() string { return m.srv.URL + "/oauth2/introspect" }

func (m *stubMAS) answer(token, body string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers[token] = body
}

func (m *stubMAS) setStatus(status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status = status
}

func (m *stubMAS) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.requests)
}

type whoamiEnv struct {
	hs    *homeservertest.Server
	mas   *stubMAS
	clock *clocktest.Fake
}

func newWhoamiEnv(t *testing.T) *whoamiEnv {
	clock := clocktest.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	m := newStubMAS(t)
	hs := homeservertest.New(t, homeservertest.Options{
		ServerName: "example.org",
		Secret:     "s3cret",
		Now:        clock.Now,
	})
	hs.SetIntrospectionURL(m.URL())
	hs.AddUser("alice")
	hs.AddDevice("alice", "DEVICEAAAA")
	return &whoamiEnv{hs: hs, mas: m, clock: clock}
}

func (e *whoamiEnv) whoami(t *testing.T, token string) answer {
	t.Helper()
	return call(t, e.hs, http.MethodGet, "/_matrix/client/v3/account/whoami", token, "")
}

const apiScope = "urn:matrix:client:api:*"

func TestWhoamiIntrospectsLikeSynapse(t *testing.T) {
	e := newWhoamiEnv(t)
	e.mas.answer("tok", `{"active":true,"scope":"openid `+apiScope+`","username":"alice","device_id":"DEVICEAAAA","sub":"01J"}`)

	a := e.whoami(t, "tok")
	expect(t, a, http.StatusOK, "")
	if string(a.raw) != `{"user_id":"@alice:example.org","device_id":"DEVICEAAAA","is_guest":false}` {
		t.Fatalf("body %s", a.raw)
	}

	r := e.mas.requests[0]
	if r.Method != http.MethodPost || r.URL.Path != "/oauth2/introspect" {
		t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	for header, want := range map[string]string{
		"Authorization":            "Bearer s3cret",
		"Accept":                   "application/json",
		"Content-Type":             "application/x-www-form-urlencoded",
		"X-Mas-Supports-Device-Id": "1",
	} {
		if got := r.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	form := e.mas.forms[0]
	if len(form) != 2 || form.Get("token") != "tok" || form.Get("token_type_hint") != "access_token" {
		t.Errorf("form %v", form)
	}
}

func TestWhoamiTokenSources(t *testing.T) {
	e := newWhoamiEnv(t)
	e.mas.answer("tok", `{"active":true,"scope":"`+apiScope+`","username":"alice"}`)
	expect(t, e.whoami(t, ""), http.StatusUnauthorized, "M_MISSING_TOKEN")
	a := call(t, e.hs, http.MethodGet, "/_matrix/client/v3/account/whoami?access_token=tok", "", "")
	expect(t, a, http.StatusOK, "")
	if _, has := a.json["device_id"]; has {
		t.Fatalf("device_id without a device: %s", a.raw)
	}
	expect(t, call(t, e.hs, http.MethodGet, "/_matrix/client/r0/account/whoami", "tok", ""), http.StatusOK, "")
}

func TestWhoamiRules(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		status  int
		errcode string
		message string
	}{
		{"inactive", `{"active":false}`, 401, "M_UNKNOWN_TOKEN", "Token is not active"},
		{"no scope", `{"active":true,"username":"alice"}`, 401, "M_UNKNOWN_TOKEN", "Token doesn't grant access to the Matrix C-S API"},
		{"wrong scope", `{"active":true,"scope":"openid urn:mas:admin","username":"alice"}`, 401, "M_UNKNOWN_TOKEN", "Token doesn't grant access to the Matrix C-S API"},
		{"unstable scope", `{"active":true,"scope":"urn:matrix:org.matrix.msc2967.client:api:*","username":"alice"}`, 200, "", ""},
		{"null username", `{"active":true,"scope":"` + apiScope + `","username":null}`, 500, "M_FORBIDDEN", "Invalid username claim in the introspection result"},
		{"unknown user", `{"active":true,"scope":"` + apiScope + `","username":"bob"}`, 500, "M_FORBIDDEN", "User not found"},
		{"stable device scope", `{"active":true,"scope":"` + apiScope + ` urn:matrix:client:device:DEVICEAAAA","username":"alice"}`, 200, "", ""},
		{"unstable device scope", `{"active":true,"scope":"` + apiScope + ` urn:matrix:org.matrix.msc2967.client:device:DEVICEAAAA","username":"alice"}`, 200, "", ""},
		{"same device both forms", `{"active":true,"scope":"` + apiScope + ` urn:matrix:client:device:DEVICEAAAA urn:matrix:org.matrix.msc2967.client:device:DEVICEAAAA","username":"alice"}`, 200, "", ""},
		{"two devices", `{"active":true,"scope":"` + apiScope + ` urn:matrix:client:device:DEVICEAAAA urn:matrix:client:device:OTHER","username":"alice"}`, 500, "M_FORBIDDEN", "Multiple device IDs in scope"},
		{"empty device id", `{"active":true,"scope":"` + apiScope + `","username":"alice","device_id":""}`, 500, "M_FORBIDDEN", "Invalid device ID in introspection result"},
		{"unknown device", `{"active":true,"scope":"` + apiScope + `","username":"alice","device_id":"GONE"}`, 401, "M_UNKNOWN_TOKEN", "Token is not active"},
		{"expired", `{"active":true,"scope":"` + apiScope + `","username":"alice","expires_in":0}`, 401, "M_UNKNOWN_TOKEN", "Token is not active"},
		{"huge expiry", `{"active":true,"scope":"` + apiScope + `","username":"alice","expires_in":99999999999999}`, 200, "", ""},
		{"active not bool", `{"active":"true"}`, 503, "M_UNKNOWN", "Unable to introspect the access token"},
		{"active missing", `{"scope":"x"}`, 503, "M_UNKNOWN", "Unable to introspect the access token"},
		{"scope not string", `{"active":true,"scope":["x"]}`, 503, "M_UNKNOWN", "Unable to introspect the access token"},
		{"expires_in float", `{"active":true,"expires_in":1.5}`, 503, "M_UNKNOWN", "Unable to introspect the access token"},
		{"not json", `<html>`, 503, "M_UNKNOWN", "Unable to introspect the access token"},
		{"json array", `[]`, 503, "M_UNKNOWN", "Unable to introspect the access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newWhoamiEnv(t)
			e.mas.answer("tok", tt.answer)
			a := e.whoami(t, "tok")
			expect(t, a, tt.status, tt.errcode)
			if tt.message != "" && a.message() != tt.message {
				t.Errorf("message %q, want %q", a.message(), tt.message)
			}
			if tt.errcode == "M_UNKNOWN_TOKEN" && a.json["soft_logout"] != false {
				t.Errorf("soft_logout missing: %s", a.raw)
			}
		})
	}
}

func TestWhoamiIntrospectionFailures(t *testing.T) {
	e := newWhoamiEnv(t)
	// A wrong secret on the service side shows up as a 401 from it.
	e.mas.setStatus(http.StatusUnauthorized)
	expect(t, e.whoami(t, "tok"), http.StatusServiceUnavailable, "M_UNKNOWN")
	// Failures are not cached.
	e.mas.setStatus(http.StatusOK)
	e.mas.answer("tok", `{"active":true,"scope":"`+apiScope+`","username":"alice"}`)
	expect(t, e.whoami(t, "tok"), http.StatusOK, "")

	// Unreachable service.
	e.hs.SetIntrospectionURL("http://127.0.0.1:1/oauth2/introspect")
	expect(t, e.whoami(t, "other"), http.StatusServiceUnavailable, "M_UNKNOWN")
	// No URL at all.
	e.hs.SetIntrospectionURL("")
	expect(t, e.whoami(t, "third"), http.StatusServiceUnavailable, "M_UNKNOWN")
}

func TestWhoamiCache(t *testing.T) {
	e := newWhoamiEnv(t)
	e.mas.answer("tok", `{"active":true,"scope":"`+apiScope+`","username":"alice"}`)
	e.mas.answer("dead", `{"active":false}`)

	expect(t, e.whoami(t, "tok"), http.StatusOK, "")
	expect(t, e.whoami(t, "dead"), http.StatusUnauthorized, "M_UNKNOWN_TOKEN")

	// Revoked on the service side: still accepted from the cache, and the
	// inactive answer is cached too.
	e.mas.answer("tok", `{"active":false}`)
	e.mas.answer("dead", `{"active":true,"scope":"`+apiScope+`","username":"alice"}`)
	e.clock.Advance(119 * time.Second)
	expect(t, e.whoami(t, "tok"), http.StatusOK, "")
	expect(t, e.whoami(t, "dead"), http.StatusUnauthorized, "M_UNKNOWN_TOKEN")
	if n := e.mas.count(); n != 2 || e.hs.IntrospectionCalls() != 2 {
		t.Fatalf("introspected %d times (fake says %d), want 2", n, e.hs.IntrospectionCalls())
	}

	e.clock.Advance(time.Second)
	expect(t, e.whoami(t, "tok"), http.StatusUnauthorized, "M_UNKNOWN_TOKEN")
	expect(t, e.whoami(t, "dead"), http.StatusOK, "")

	e.hs.FlushIntrospectionCache()
	e.whoami(t, "tok")
	if n := e.mas.count(); n != 5 {
		t.Fatalf("introspected %d times, want 5", n)
	}
}

func TestWhoamiCachedExpiry(t *testing.T) {
	e := newWhoamiEnv(t)
	e.mas.answer("tok", `{"active":true,"scope":"`+apiScope+`","username":"alice","expires_in":60}`)
	expect(t, e.whoami(t, "tok"), http.StatusOK, "")
	e.clock.Advance(60 * time.Second)
	// Still cached, but expiry is evaluated against the retrieval time.
	expect(t, e.whoami(t, "tok"), http.StatusUnauthorized, "M_UNKNOWN_TOKEN")
	if e.mas.count() != 1 {
		t.Fatalf("introspected %d times", e.mas.count())
	}
}

func TestWhoamiDeviceDeletionEvictsCache(t *testing.T) {
	e := newWhoamiEnv(t)
	e.mas.answer("tok", `{"active":true,"scope":"`+apiScope+`","username":"alice","device_id":"DEVICEAAAA"}`)
	expect(t, e.whoami(t, "tok"), http.StatusOK, "")

	expect(t, mas(t, e.hs, http.MethodPost, "delete_device", `{"localpart":"alice","device_id":"DEVICEAAAA"}`), http.StatusNoContent, "")
	expect(t, e.whoami(t, "tok"), http.StatusUnauthorized, "M_UNKNOWN_TOKEN")

	// The entry was evicted: the device coming back makes the next request
	// introspect again rather than reuse the old answer.
	e.hs.AddDevice("alice", "DEVICEAAAA")
	expect(t, e.whoami(t, "tok"), http.StatusOK, "")
	if e.mas.count() != 2 {
		t.Fatalf("introspected %d times, want 2", e.mas.count())
	}
}

func TestWhoamiCoalescesConcurrentLookups(t *testing.T) {
	e := newWhoamiEnv(t)
	e.mas.answer("tok", `{"active":true,"scope":"`+apiScope+`","username":"alice"}`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, _ = tryCall(e.hs, http.MethodGet, "/_matrix/client/v3/account/whoami", "tok", "")
		})
	}
	wg.Wait()
	if n := e.mas.count(); n != 1 {
		t.Fatalf("introspected %d times, want 1", n)
	}
}
