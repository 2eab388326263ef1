package compat_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mas/internal/testdb"
)

// TestSSORedirectRefusesScriptSchemes: a redirectUrl that can only run
// script or read local files is refused up front, before a user could be
// asked to approve sending a loginToken there.
func TestSSORedirectRefusesScriptSchemes(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, redirect := range []string{
		"javascript:alert(document.domain)//",
		"JavaScript:/x/?alert(1):0",
		"data:text/html,<script>alert(1)</script>",
		"vbscript:msgbox(1)",
		"file:///etc/passwd",
		"blob:https://client.example/0a1b",
	} {
		res := e.do(e.request("GET", ssoPath+"?redirectUrl="+url.QueryEscape(redirect), ""))
		if res.status != http.StatusBadRequest || !strings.Contains(res.raw, "invalid redirectUrl") {
			t.Errorf("%q: %d %s", redirect, res.status, res.raw)
		}
	}
}

// TestSSOConsentShowsScheme: the consent page names where the loginToken
// goes. For anything but https the scheme is part of that answer: a
// private-use scheme belongs to whichever app claimed it on the device,
// whatever host follows it.
func TestSSOConsentShowsScheme(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	b := e.browser()
	e.loginAs(b, alice)
	for _, tc := range []struct {
		redirect, want, notWant string
	}{
		{"https://client.example/cb?x=1", "Continue to client.example<", ""},
		{"evil://app.element.io/cb?x=1", "Continue to evil://app.element.io/cb<", "Continue to app.element.io<"},
		{"http://client.example/cb", "Continue to http://client.example/cb<", "Continue to client.example<"},
		{"im.example.app:/sso", "Continue to im.example.app:/sso<", ""},
	} {
		page := b.Get(e.ssoStart(tc.redirect, ""))
		if page.Status != http.StatusOK || !strings.Contains(page.Body, tc.want) {
			t.Errorf("%s: %d, page lacks %q:\n%s", tc.redirect, page.Status, tc.want, page.Body)
		}
		if tc.notWant != "" && strings.Contains(page.Body, tc.notWant) {
			t.Errorf("%s: page names the client %q", tc.redirect, tc.notWant)
		}
	}
}

// TestTokenLoginBrowserSessionGone: a fulfilled SSO login whose browser
// session row has gone (user_session_id is ON DELETE SET NULL) is an
// invalid token, not a crash.
func TestTokenLoginBrowserSessionGone(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	b := e.browser()
	e.loginAs(b, alice)
	token := e.ssoApprove(b, e.ssoStart("https://client.example/", ""))
	if _, err := testdb.DB(t, e.store).ExecContext(context.Background(),
		`UPDATE compat_sso_logins SET user_session_id = NULL`); err != nil {
		t.Fatal(err)
	}
	e.postJSON(loginPath, obj{"type": "m.login.token", "token": token}).wantError(t, 403, "M_FORBIDDEN", "Invalid login token")
}

// TestPasswordLoginUnusableHashCostsAVerification: as on the web login, an
// account whose stored hash cannot be verified must not answer faster than
// an unknown one, which costs a dummy verification.
func TestPasswordLoginUnusableHashCostsAVerification(t *testing.T) {
	// The pool counts every computation, dummy ones included, so the test
	// checks that a verification ran without measuring time.
	pw := cheapPasswords(t)
	e := newEnv(t, envOptions{passwords: pw})
	ctx := context.Background()
	for _, tc := range []struct {
		user, hash string
		version    int
	}{
		{"migrated", "$pbkdf2-sha256$i=600000,l=32$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", 7},
		{"corrupt", "not a hash", 1},
	} {
		u := e.user(tc.user, "")
		if _, err := e.store.Passwords().Add(ctx, u.ID, tc.hash, tc.version, nil); err != nil {
			t.Fatal(err)
		}
		before := pw.Stats().Completed
		res := e.postJSON(loginPath, passwordBody(tc.user, "guess"))
		res.wantError(t, http.StatusForbidden, "M_FORBIDDEN", "")
		if ran := pw.Stats().Completed - before; ran != 1 {
			t.Errorf("%s: %d password computations ran, want 1 (as for an unknown user)", tc.user, ran)
		}
	}
}
