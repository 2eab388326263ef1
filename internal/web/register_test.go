package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/session"
)

// TestRegisterHappyPath: the chooser, the form, the email code, the display
// name; then the user exists with its password, verified address and
// accepted terms, is signed in, and its homeserver provisioning (with the
// display name) is queued; the registration is completed.
func TestRegisterHappyPath(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	e.h.Pages.Branding.TOSURI = "https://example.com/tos"
	b := e.browser()

	res := b.Get("/register")
	wantPage(t, "chooser", res, http.StatusOK, "Continue with a password", `href="/auth/register/password"`, `href="/auth/login"`)

	res = b.Get("/register/password")
	wantPage(t, "form", res, http.StatusOK, `name="username"`, `name="email"`, `name="password_confirm"`,
		`name="accept_terms"`, `href="https://example.com/tos"`, "example.com")
	if strings.Contains(res.Body, "<script") {
		t.Error("the form has a script without a captcha configured")
	}

	res = submitRegistration(b, "", map[string]string{"accept_terms": "on"})
	id := registrationID(t, res.Location)
	wantRedirect(t, "form", res, "/auth"+stepPath(id, "verify-email"))
	if b.Cookie("user-registration-sessions") == nil {
		t.Error("no registration cookie")
	}
	reg := e.registration(id)
	if reg.Username != "alice" || reg.TermsURL != "https://example.com/tos" ||
		reg.UserAgent == "" || reg.PasswordVersion != 1 || reg.HashedPassword == "" || strings.Contains(reg.HashedPassword, newUserPassword) {
		t.Errorf("stored registration %+v", reg)
	}
	codeJobs := e.jobs("send-email-authentication-code")
	if len(codeJobs) != 1 || codeJobs[0]["user_email_authentication_id"] != reg.EmailAuthenticationID.String() {
		t.Errorf("code jobs %v for authentication %v", codeJobs, reg.EmailAuthenticationID)
	}

	res = b.Get(stepPath(id, "verify-email"))
	wantPage(t, "verify page", res, http.StatusOK, "alice@example.org", `name="code"`)
	wantRedirect(t, "code", verify(b, id, e.mailCode(id)), "/auth"+stepPath(id, "finish"))
	wantRedirect(t, "finish", b.Get(stepPath(id, "finish")), "/auth"+stepPath(id, "display-name"))
	wantRedirect(t, "finish with everything", setDisplayName(t, b, id, "  Alice Liddell "), "/auth/")

	ctx := context.Background()
	user, err := e.store.Users().FindByUsername(ctx, "alice")
	if err != nil {
		t.Fatalf("user not created: %v", err)
	}
	emails, err := e.store.UserEmails().ListForUser(ctx, user.ID)
	if err != nil || len(emails) != 1 || emails[0].Email != "alice@example.org" {
		t.Errorf("emails %v, %v", emails, err)
	}
	if reg := e.registration(id); reg.CompletedAt == nil || reg.DisplayName != "Alice Liddell" {
		t.Errorf("registration after finish %+v", reg)
	}
	provision := e.jobs("provision-user")
	if len(provision) != 1 || provision[0]["user_id"] != user.ID.String() || provision[0]["set_displayname"] != "Alice Liddell" {
		t.Errorf("provision jobs %v", provision)
	}
	// Signed in, with a password authentication.
	wantPage(t, "start page", b.Get("/"), http.StatusOK, "@alice:example.com")
	sessions, err := e.store.BrowserSessions().ListActiveForUser(ctx, user.ID)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("browser sessions %v, %v", sessions, err)
	}
	if auth, err := e.store.BrowserSessions().LastAuthentication(ctx, sessions[0].ID); err != nil || auth.PasswordID == nil {
		t.Errorf("authentication %+v, %v", auth, err)
	}
	// The password works elsewhere.
	logIn(t, e.browser(), "alice", newUserPassword)

	// Going back to any step now just moves on.
	wantRedirect(t, "finish again", b.Get(stepPath(id, "finish")), "/auth/")
	wantRedirect(t, "verify again", b.Get(stepPath(id, "verify-email")), "/auth/")
	if n := len(e.jobs("provision-user")); n != 1 {
		t.Errorf("%d provisioning jobs after going back", n)
	}
}

// TestRegisterContinuesAuthorization: a registration started for an
// authorization grant names the client and ends on its consent screen;
// login_hint and ?username= suggest the username.
func TestRegisterContinuesAuthorization(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	ctx := context.Background()
	client := &domain.Client{RedirectURIs: []string{"https://client.example/cb"}, GrantAuthorizationCode: true,
		ClientName: "Element Test", TokenEndpointAuthMethod: "none", ApplicationType: "web"}
	if err := e.store.Clients().Add(ctx, client); err != nil {
		t.Fatal(err)
	}
	grant := &domain.AuthorizationGrant{ClientID: client.ID, RedirectURI: "https://client.example/cb",
		Scope: []string{"openid"}, ResponseMode: "query", ResponseTypeCode: true, Code: strings.Repeat("c", 32)}
	if err := e.store.AuthorizationGrants().Add(ctx, grant); err != nil {
		t.Fatal(err)
	}
	next := session.ContinueAuthorizationGrant(grant.ID)
	query := "?" + next.Query().Encode()
	b := e.browser()

	res := b.Get("/register" + query + "&login_hint=" + url.QueryEscape("@carol:example.com"))
	passwordLink := "/auth/register/password?" + url.Values{"kind": {next.Kind}, "id": {grant.ID.String()}, "username": {"carol"}}.Encode()
	wantPage(t, "chooser", res, http.StatusOK, "Element Test", `href="`+passwordLink+`"`)
	wantPage(t, "form", b.Get(passwordLink), http.StatusOK, `value="carol"`, "Element Test")

	id := e.registerThroughEmail(b, query, registrationForm("carol"))
	wantRedirect(t, "finish", setDisplayName(t, b, id, "Carol"), "/auth/consent/"+grant.ID.String())
}

// TestRegisterEmailOptional: with password_registration_email_required
// off, an account without an address goes straight to the display name.
func TestRegisterEmailOptional(t *testing.T) {
	s := openRegistration()
	s.PasswordRegistrationEmailRequired = false
	e := newEnv(t, envOptions{settings: s})
	b := e.browser()
	res := submitRegistration(b, "", map[string]string{"email": ""})
	id := registrationID(t, res.Location)
	wantRedirect(t, "form", res, "/auth"+stepPath(id, "finish"))
	wantRedirect(t, "finish", b.Get(stepPath(id, "finish")), "/auth"+stepPath(id, "display-name"))
	res = b.Submit(b.Get(stepPath(id, "display-name")), nil, "skip")
	wantRedirect(t, "skip", res, "/auth"+stepPath(id, "finish"))
	wantRedirect(t, "create", b.Get(stepPath(id, "finish")), "/auth/")
	if jobs := e.jobs("send-email-authentication-code"); len(jobs) != 0 {
		t.Errorf("code jobs %v without an address", jobs)
	}
	// Skipping uses the username, as Synapse does.
	if jobs := e.jobs("provision-user"); len(jobs) != 1 || jobs[0]["set_displayname"] != "alice" {
		t.Errorf("provision jobs %v", jobs)
	}
}

// TestRegistrationClosed: the pages exist, and say registration is closed
// with 403, when it is off or passwords are.
func TestRegistrationClosed(t *testing.T) {
	for name, opts := range map[string]envOptions{
		"registration off": {},
		"passwords off":    {settings: openRegistration(), disabled: true},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, opts)
			b := e.browser()
			for _, path := range []string{"/register", "/register/password", stepPath(domain.ZeroID, "finish")} {
				wantPage(t, path, b.Get(path), http.StatusForbidden, "Registration is closed")
			}
			res := b.Post("/register/password", url.Values{"username": {"alice"}})
			wantPage(t, "post", res, http.StatusForbidden, "Registration is closed")
		})
	}
}

// TestRegisterWhileSignedIn: a signed-in browser goes where it was heading.
func TestRegisterWhileSignedIn(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	e.user("bob", "pw")
	b := e.browser()
	logIn(t, b, "bob", "pw")
	wantRedirect(t, "chooser", b.Get("/register"), "/auth/")
	wantRedirect(t, "form", b.Get("/register/password?kind=manage_account"), "/auth/account/")
}

// TestRegistrationBelongsToItsBrowser: another browser, a made-up ID and
// an expired registration get a page saying so, and nothing moves.
func TestRegistrationBelongsToItsBrowser(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration()})
	b := e.browser()
	id := registrationID(t, submitRegistration(b, "", nil).Location)
	code := e.mailCode(id)

	other := e.browser()
	for _, step := range []string{"verify-email", "display-name", "token", "finish"} {
		wantPage(t, "other browser "+step, other.Get(stepPath(id, step)), http.StatusNotFound, "not started in this browser")
	}
	res := other.Post(stepPath(id, "verify-email"), url.Values{"csrf": {other.CSRF("/login")}, "code": {code}})
	wantPage(t, "other browser's code", res, http.StatusNotFound, "not started in this browser")
	if auth, err := e.store.EmailAuthentications().Lookup(context.Background(), *e.registration(id).EmailAuthenticationID); err != nil || auth.CompletedAt != nil {
		t.Errorf("another browser verified the address: %+v, %v", auth, err)
	}
	// Stealing the cookie's name is not enough either: it is sealed.
	other.SetCookies([]*http.Cookie{{Name: "user-registration-sessions", Value: "forged"}})
	wantPage(t, "forged cookie", other.Get(stepPath(id, "finish")), http.StatusNotFound, "not started in this browser")
	wantPage(t, "made-up ID", b.Get(stepPath(domain.ZeroID, "finish")), http.StatusNotFound, "Start again")
	wantPage(t, "not an ID", b.Get("/register/steps/nope/finish"), http.StatusNotFound, "Start again")

	// An hour later the registration is over.
	e.clock.Advance(time.Hour)
	wantPage(t, "expired", b.Get(stepPath(id, "verify-email")), http.StatusGone, "expired")
	stranger := e.browser()
	res = stranger.Post(stepPath(id, "verify-email"), url.Values{"csrf": {stranger.CSRF("/login")}, "code": {code}})
	if res.Status != http.StatusNotFound {
		t.Errorf("code after expiry from another browser: %d", res.Status)
	}
	if reg := e.registration(id); reg.CompletedAt != nil {
		t.Error("expired registration completed")
	}
}
