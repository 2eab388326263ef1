package captcha_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/captcha"
	"mas/internal/requestctx"
)

// standIn is a local siteverify endpoint: it records what it was sent and
// answers with reply.
type standIn struct {
	*httptest.Server
	mu    sync.Mutex
	got   []url.Values
	reply func(form url.Values) (int, any)
}

func newStandIn(t *testing.T, reply func(form url.Values) (int, any)) *standIn {
	t.Helper()
	s := &standIn{reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("verification sent as %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		s.mu.Lock()
		s.got = append(s.got, r.PostForm)
		s.mu.Unlock()
		status, body := s.reply(r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) calls() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.got...)
}

// formRequest is a posted registration form from ip.
func formRequest(field, answer, ip string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/register/password", nil)
	r.PostForm = url.Values{field: {answer}, "username": {"alice"}}
	if ip != "" {
		r = r.WithContext(requestctx.WithClientIP(r.Context(), netip.MustParseAddr(ip)))
	}
	return r
}

func newVerifier(t *testing.T, opts captcha.Options) *captcha.Verifier {
	t.Helper()
	v, err := captcha.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifyEachService: each service gets the secret, the answer from
// its own form field and the client address; hCaptcha also the site key.
func TestVerifyEachService(t *testing.T) {
	for _, tc := range []struct {
		service, field string
		siteKey        bool
	}{
		{captcha.RecaptchaV2, "g-recaptcha-response", false},
		{captcha.CloudflareTurnstile, "cf-turnstile-response", false},
		{captcha.HCaptcha, "h-captcha-response", true},
	} {
		t.Run(tc.service, func(t *testing.T) {
			s := newStandIn(t, func(form url.Values) (int, any) {
				return http.StatusOK, map[string]any{"success": form.Get("response") == "solved", "hostname": "auth.example.com"}
			})
			v := newVerifier(t, captcha.Options{
				Service: tc.service, SiteKey: "site", SecretKey: "secret", Hostname: "auth.example.com", VerifyURL: s.URL,
			})
			if w := v.Widget(); w.ResponseField != tc.field || w.SiteKey != "site" || w.Service != tc.service ||
				!strings.HasPrefix(w.ScriptURL, "https://") || w.Class == "" || len(w.Sources.Script) == 0 || len(w.Sources.Frame) == 0 {
				t.Errorf("widget %+v", w)
			}

			ok, err := v.Verify(context.Background(), formRequest(tc.field, "solved", "203.0.113.7"))
			if err != nil || !ok {
				t.Fatalf("solved: %v, %v", ok, err)
			}
			got := s.calls()[0]
			if got.Get("secret") != "secret" || got.Get("response") != "solved" || got.Get("remoteip") != "203.0.113.7" {
				t.Errorf("verification form %v", got)
			}
			if (got.Get("sitekey") == "site") != tc.siteKey {
				t.Errorf("sitekey sent: %v", got)
			}

			ok, err = v.Verify(context.Background(), formRequest(tc.field, "wrong", "203.0.113.7"))
			if err != nil || ok {
				t.Errorf("wrong answer: %v, %v", ok, err)
			}
			// The answer must come from this service's field.
			ok, err = v.Verify(context.Background(), formRequest("other-response", "solved", ""))
			if err != nil || ok {
				t.Errorf("answer in another field: %v, %v", ok, err)
			}
			if n := len(s.calls()); n != 2 {
				t.Errorf("%d verifications sent, want 2 (none for a missing answer)", n)
			}
		})
	}
}

// TestVerifyRefusals: an answer solved on another host is refused; a
// service that does not give an answer is ErrUnavailable, never a pass.
func TestVerifyRefusals(t *testing.T) {
	reply := func(status int, body any) func(url.Values) (int, any) {
		return func(url.Values) (int, any) { return status, body }
	}
	for _, tc := range []struct {
		name        string
		reply       func(url.Values) (int, any)
		unavailable bool
	}{
		{"other hostname", reply(http.StatusOK, map[string]any{"success": true, "hostname": "evil.example"}), false},
		{"expired answer", reply(http.StatusOK, map[string]any{"success": false, "error-codes": []string{"timeout-or-duplicate"}}), false},
		{"our secret refused", reply(http.StatusOK, map[string]any{"success": false, "error-codes": []string{"invalid-input-secret"}}), true},
		{"server error", reply(http.StatusInternalServerError, map[string]any{}), true},
		{"not json", reply(http.StatusOK, "<html>"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.reply)
			v := newVerifier(t, captcha.Options{
				Service: captcha.RecaptchaV2, SiteKey: "k", SecretKey: "s", Hostname: "auth.example.com", VerifyURL: s.URL,
			})
			ok, err := v.Verify(context.Background(), formRequest("g-recaptcha-response", "answer", ""))
			if ok {
				t.Fatal("verification passed")
			}
			if got := errors.Is(err, captcha.ErrUnavailable); got != tc.unavailable {
				t.Errorf("error %v, want unavailable %v", err, tc.unavailable)
			}
		})
	}
}

// TestVerifyUnreachableAndSlow: a closed port and a service that never
// answers (cut by the timeout) are both ErrUnavailable.
func TestVerifyUnreachableAndSlow(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })

	for name, u := range map[string]string{"unreachable": closed.URL, "slow": slow.URL} {
		t.Run(name, func(t *testing.T) {
			v := newVerifier(t, captcha.Options{
				Service: captcha.CloudflareTurnstile, SiteKey: "k", SecretKey: "s", VerifyURL: u, Timeout: 100 * time.Millisecond,
			})
			ok, err := v.Verify(context.Background(), formRequest("cf-turnstile-response", "answer", ""))
			if ok || !errors.Is(err, captcha.ErrUnavailable) {
				t.Errorf("got %v, %v; want ErrUnavailable", ok, err)
			}
			if err != nil && strings.Contains(err.Error(), "secret=") {
				t.Errorf("error reveals the secret: %v", err)
			}
		})
	}
}

func TestNewRefusesIncompleteSettings(t *testing.T) {
	for _, opts := range []captcha.Options{
		{Service: "friendlycaptcha", SiteKey: "k", SecretKey: "s"},
		{Service: captcha.HCaptcha, SecretKey: "s"},
		{Service: captcha.HCaptcha, SiteKey: "k"},
	} {
		if _, err := captcha.New(opts); err == nil {
			t.Errorf("New(%+v) accepted", opts)
		}
	}
}
