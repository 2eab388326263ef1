package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"mas/internal/captcha"
	"mas/internal/web"
)

// captchaStandIn is a local siteverify endpoint that accepts the answer
// "solved" and counts verifications; down makes it answer 503.
type captchaStandIn struct {
	calls atomic.Int64
	down  atomic.Bool
}

func newCaptcha(t *testing.T) (*captchaStandIn, web.CaptchaVerifier) {
	t.Helper()
	s := &captchaStandIn{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		if s.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"success": r.PostFormValue("response") == "solved" && r.PostFormValue("secret") == "secret"})
	}))
	t.Cleanup(srv.Close)
	v, err := captcha.New(captcha.Options{Service: captcha.HCaptcha, SiteKey: "site-key", SecretKey: "secret", VerifyURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// TestRegisterCaptcha: the form embeds the widget; a missing or wrong
// answer is refused without asking the homeserver about the username; an
// unreachable service refuses with "try again"; a solved one passes.
func TestRegisterCaptcha(t *testing.T) {
	standIn, verifier := newCaptcha(t)
	e := newEnv(t, envOptions{settings: openRegistration(), captcha: verifier})
	b := e.browser()

	wantPage(t, "form", b.Get("/register/password"), http.StatusOK,
		`<script src="https://js.hcaptcha.com/1/api.js" async defer></script>`, `<div class="h-captcha" data-sitekey="site-key"></div>`)

	hsCalls := func() int { return e.hs.Calls("/_synapse/mas/is_localpart_available") }
	before := hsCalls()
	wantPage(t, "no answer", submitRegistration(b, "", nil), http.StatusBadRequest, "The challenge was not solved", `value="alice"`)
	wantPage(t, "wrong answer", submitRegistration(b, "", map[string]string{"h-captcha-response": "guessed"}), http.StatusBadRequest,
		"The challenge was not solved")
	if n := hsCalls() - before; n != 0 {
		t.Errorf("the homeserver was asked %d times for forms that failed the captcha", n)
	}
	if n := standIn.calls.Load(); n != 1 {
		t.Errorf("%d verifications, want 1 (none without an answer)", n)
	}

	standIn.down.Store(true)
	wantPage(t, "service down", submitRegistration(b, "", map[string]string{"h-captcha-response": "solved"}), http.StatusServiceUnavailable,
		"could not be checked just now. Please try again")
	if b.Cookie("user-registration-sessions") != nil || len(e.jobs("send-email-authentication-code")) != 0 {
		t.Error("a refused form started a registration")
	}

	standIn.down.Store(false)
	res := submitRegistration(b, "", map[string]string{"h-captcha-response": "solved"})
	if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Location, "/verify-email") {
		t.Fatalf("solved captcha: %d %q\n%s", res.Status, res.Location, res.Body)
	}
}
