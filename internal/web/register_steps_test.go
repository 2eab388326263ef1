package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/ratelimit"
)

// stepLimits are roomy limits except the email-code ones, which allow
// two of each.
func stepLimits() *ratelimit.Config {
	roomy := ratelimit.Rate{Burst: 100, PerSecond: 1}
	two := ratelimit.Rate{Burst: 2, PerSecond: 0.0001}
	return &ratelimit.Config{
		LoginPerIP: roomy, LoginPerAccount: roomy, Registration: roomy,
		AccountRecoveryPerIP: roomy, AccountRecoveryPerAddress: roomy,
		EmailAuthenticationPerIP: roomy, EmailAuthenticationPerAddress: roomy,
		EmailAuthenticationEmailsPerSession: two, EmailAuthenticationAttemptPerSession: ratelimit.Rate{Burst: 4, PerSecond: 0.0001},
	}
}

// TestRegisterEmailCodes: a wrong code, an expired one, too many attempts,
// a new code (limited), another address (checked by the email policy).
func TestRegisterEmailCodes(t *testing.T) {
	e := newEnv(t, envOptions{settings: openRegistration(), policy: registrationPolicy(t), limits: stepLimits()})
	b := e.browser()
	res := submitRegistration(b, "", nil)
	id := registrationID(t, res.Location)
	verifyPath := stepPath(id, "verify-email")

	code := e.mailCode(id)
	wantPage(t, "wrong code", verify(b, id, "000000"), http.StatusBadRequest, "This code is not right", `value="000000"`)
	wantPage(t, "not a code", verify(b, id, "12ab"), http.StatusBadRequest, "This code is not right")
	e.clock.Advance(6 * time.Minute)
	wantPage(t, "expired code", verify(b, id, code), http.StatusBadRequest, "This code has expired")
	// Four attempts are allowed per authentication; the fifth is refused
	// even with the right code.
	fresh := e.mailCode(id)
	res = verify(b, id, "111111")
	wantPage(t, "fourth attempt", res, http.StatusBadRequest, "not right")
	res = verify(b, id, fresh)
	wantPage(t, "fifth attempt", res, http.StatusTooManyRequests, "Too many wrong codes")

	// A new code: queued, twice; the third is refused.
	jobsBefore := len(e.jobs("send-email-authentication-code"))
	for i := range 3 {
		res := b.Submit(b.Get(verifyPath), nil, "resend")
		if i < 2 {
			wantPage(t, "resend", res, http.StatusOK, "A new code is on its way to alice@example.org")
		} else {
			wantPage(t, "third resend", res, http.StatusTooManyRequests, "Too many codes were sent")
		}
	}
	if n := len(e.jobs("send-email-authentication-code")) - jobsBefore; n != 2 {
		t.Errorf("%d new code mails, want 2", n)
	}

	// Another address: checked like the form's, then a new authentication
	// (with fresh attempts) and its mail.
	wantPage(t, "banned address", b.Submit(b.Get(verifyPath), map[string]string{"email": "alice@spam.example"}, "change_email"),
		http.StatusBadRequest, "this domain cannot be used")
	old := *e.registration(id).EmailAuthenticationID
	res = b.Submit(b.Get(verifyPath), map[string]string{"email": "alice2@example.org"}, "change_email")
	wantPage(t, "other address", res, http.StatusOK, "A code is on its way to alice2@example.org", "Enter the 6-digit code sent to alice2@example.org")
	reg := e.registration(id)
	if *reg.EmailAuthenticationID == old {
		t.Fatal("the registration still verifies the old address")
	}
	jobs := e.jobs("send-email-authentication-code")
	if last := jobs[len(jobs)-1]; last["user_email_authentication_id"] != reg.EmailAuthenticationID.String() {
		t.Errorf("last code mail %v, want one for %s", last, reg.EmailAuthenticationID)
	}
	wantRedirect(t, "new address's code", verify(b, id, e.mailCode(id)), "/auth"+stepPath(id, "finish"))
	wantRedirect(t, "display name next", b.Get(stepPath(id, "finish")), "/auth"+stepPath(id, "display-name"))
	wantRedirect(t, "finish", setDisplayName(t, b, id, "Alice"), "/auth/")
	u, err := e.store.Users().FindByUsername(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	emails, err := e.store.UserEmails().ListForUser(context.Background(), u.ID)
	if err != nil || len(emails) != 1 || emails[0].Email != "alice2@example.org" {
		t.Errorf("emails %v, %v", emails, err)
	}
}

func addToken(t *testing.T, e *env, token string, limit int, expires *time.Time) *domain.RegistrationToken {
	t.Helper()
	tok := &domain.RegistrationToken{Token: token, UsageLimit: &limit, ExpiresAt: expires}
	if err := e.store.RegistrationTokens().Add(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestRegisterToken: with a registration token required, the token step
// comes first; unknown, expired and used-up tokens are refused; the token
// is counted when the account is made, and a token used up meanwhile
// stops the registration at the token step.
func TestRegisterToken(t *testing.T) {
	s := openRegistration()
	s.RegistrationTokenRequired = true
	e := newEnv(t, envOptions{settings: s})
	past := e.clock.Now().Add(-time.Minute)
	addToken(t, e, "expired-token", 5, &past)
	used := addToken(t, e, "used-token", 1, nil)
	if err := e.store.RegistrationTokens().Use(context.Background(), used); err != nil {
		t.Fatal(err)
	}
	single := addToken(t, e, "single-use", 1, nil)

	// Two registrations take the single-use token; the first to finish
	// gets it.
	b1, b2 := e.browser(), e.browser()
	res := submitRegistration(b1, "", registrationForm("first"))
	id1 := registrationID(t, res.Location)
	wantRedirect(t, "form", res, "/auth"+stepPath(id1, "token"))
	tokenPage := b1.Get(stepPath(id1, "token"))
	wantPage(t, "token page", tokenPage, http.StatusOK, "registration token")
	for token, text := range map[string]string{"": "Enter your registration token", "nope": "not valid", "expired-token": "not valid", "used-token": "not valid"} {
		wantPage(t, "token "+token, b1.Submit(tokenPage, map[string]string{"token": token}, ""), http.StatusBadRequest, text)
	}
	wantRedirect(t, "finish before the token", b1.Get(stepPath(id1, "finish")), "/auth"+stepPath(id1, "token"))
	wantRedirect(t, "valid token", b1.Submit(tokenPage, map[string]string{"token": "single-use"}, ""), "/auth"+stepPath(id1, "finish"))
	wantRedirect(t, "email next", b1.Get(stepPath(id1, "finish")), "/auth"+stepPath(id1, "verify-email"))

	res = submitRegistration(b2, "", registrationForm("second"))
	id2 := registrationID(t, res.Location)
	wantRedirect(t, "valid token, second", b2.Submit(b2.Get(stepPath(id2, "token")), map[string]string{"token": "single-use"}, ""),
		"/auth"+stepPath(id2, "finish"))

	// The first finishes and uses the token up.
	wantRedirect(t, "first code", verify(b1, id1, e.mailCode(id1)), "/auth"+stepPath(id1, "finish"))
	wantRedirect(t, "first finishes", setDisplayName(t, b1, id1, "First"), "/auth/")
	if tok, err := e.store.RegistrationTokens().Lookup(context.Background(), single.ID); err != nil || tok.TimesUsed != 1 {
		t.Errorf("token after the first account: %+v, %v", tok, err)
	}
	// The second was let through the token step before; at the end, the
	// token is used up.
	wantRedirect(t, "second code", verify(b2, id2, e.mailCode(id2)), "/auth"+stepPath(id2, "finish"))
	res = b2.Submit(b2.Get(stepPath(id2, "display-name")), map[string]string{"display_name": "Second"}, "set")
	wantRedirect(t, "second display name", res, "/auth"+stepPath(id2, "finish"))
	wantPage(t, "second finish", b2.Get(stepPath(id2, "finish")), http.StatusConflict, "can no longer be used")
	if _, err := e.store.Users().FindByUsername(context.Background(), "second"); err == nil {
		t.Error("second account created with a used-up token")
	}
	// Another token gets it through.
	addToken(t, e, "another", 1, nil)
	wantRedirect(t, "another token", b2.Submit(b2.Get(stepPath(id2, "token")), map[string]string{"token": "another"}, ""),
		"/auth"+stepPath(id2, "finish"))
	wantRedirect(t, "second finishes", b2.Get(stepPath(id2, "finish")), "/auth/")
}

// TestRegisterTokenGuessesLimited: guesses of the token are limited per
// registration.
func TestRegisterTokenGuessesLimited(t *testing.T) {
	s := openRegistration()
	s.RegistrationTokenRequired = true
	e := newEnv(t, envOptions{settings: s, limits: stepLimits()})
	addToken(t, e, "the-token", 5, nil)
	b := e.browser()
	id := registrationID(t, submitRegistration(b, "", nil).Location)
	page := b.Get(stepPath(id, "token"))
	for range 4 {
		wantPage(t, "guess", b.Submit(page, map[string]string{"token": "guess"}, ""), http.StatusBadRequest, "not valid")
	}
	wantPage(t, "right token after too many guesses", b.Submit(page, map[string]string{"token": "the-token"}, ""),
		http.StatusTooManyRequests, "Too many")
	_ = url.Values{}
}
