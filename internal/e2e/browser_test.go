package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"mas/internal/chrometest"
	"mas/internal/config"
	"mas/internal/email/mailpittest"
	"mas/internal/testenv"
)

// mailedSixDigits finds the verification code in a mail's text.
var mailedSixDigits = regexp.MustCompile(`(?m)^\s*([0-9]{6})\s*$`)

// TestBrowserAccountLifecycle drives a real, headless Chromium through an
// account's life on the service's pages, with mail through a real SMTP
// server: register with email verification, sign in, see the sessions and
// end one, change the password (a wrong current password refused), recover
// the forgotten password by the mailed link, deactivate. Chromium enforces
// what our Go test browser does not (the Content-Security-Policy,
// form-action, cookies' flags, redirects after forms), so the pages are
// known to work in a user's browser. Each page of note is saved as a
// screenshot in a light and a dark theme and at phone width under
// test-output/browser/.
func TestBrowserAccountLifecycle(t *testing.T) {
	mp := mailpittest.Require(t)
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
			cfg.Account.PasswordRegistrationEnabled = true
			cfg.Account.PasswordRecoveryEnabled = true
			cfg.Branding.ServiceName = "Example Chat Accounts"
			cfg.Branding.TOSURI = "https://example.com/terms"
			cfg.Branding.PolicyURI = "https://example.com/privacy"
			cfg.Passwords.MinimumComplexity = 3
			cfg.Email.Transport = config.TransportSMTP
			cfg.Email.Mode = config.SMTPPlain
			cfg.Email.Hostname = mp.SMTPHost
			cfg.Email.Port = uint16(mp.SMTPPort)
		}})
		b := chrometest.New(t)
		address := mailpittest.Address("browser")
		const (
			username     = "robin"
			password     = "umber kestrel 88 fennel"
			newPassword  = "saffron glacier 1493 plover"
			lastPassword = "tin whistle 7712 juniper"
		)

		// The start page and the sign-in page, as a visitor sees them.
		b.Open(env.URL("/login"))
		if !b.Has(`a[href*="/register"]`) || !b.Has(`a[href*="/recover"]`) {
			t.Fatal("the sign-in page lacks the create-account or forgot-password link")
		}
		b.Shots("login")

		// Registration: the chooser, the form, the mailed code, a display
		// name.
		b.Submit(`a[href*="/register"]`)
		b.Shots("register")
		b.Submit(`a[href*="/register/password"]`)
		b.Fill("#field-username", username)
		b.Fill("#field-email", address)
		b.Fill("#field-password", password)
		b.Fill("#field-password_confirm", password)
		b.Check("#field-accept_terms")
		b.Shots("register-password")
		b.Submit("form button[type=submit]")
		if !strings.HasSuffix(b.URL(), "/verify-email") {
			t.Fatalf("after the registration form: %s\n%s", b.URL(), b.Text("main"))
		}
		b.Shots("verify-email")
		mails := mp.Wait(t, address, 1)
		code := mailedSixDigits.FindStringSubmatch(mails[0].Text)
		if code == nil {
			t.Fatalf("no code in the mail:\n%s", mails[0].Text)
		}
		b.Fill("#field-code", code[1])
		b.Submit("form:has(#field-code) button[type=submit]")
		b.Fill("#field-display_name", "Robin Example")
		b.Submit(`button[value="set"]`)
		if !strings.Contains(b.Text("main"), "@"+username+":"+testenv.ServerName) {
			t.Fatalf("not signed in after registering: %s\n%s", b.URL(), b.Text("main"))
		}
		env.WaitProvisioned(username)
		if u, _ := env.Homeserver.User(username); u.DisplayName != "Robin Example" {
			t.Errorf("display name on the homeserver: %q", u.DisplayName)
		}

		// Sign out, and in again through the form.
		b.Submit(`form[action$="/logout"] button[type=submit]`)
		b.Open(env.URL("/login"))
		b.Fill("#field-username", username)
		b.Fill("#field-password", password)
		b.Submit("form:has(#field-password) button[type=submit]")
		if !strings.Contains(b.Text("main"), "@"+username+":") {
			t.Fatalf("sign-in failed: %s\n%s", b.URL(), b.Text("main"))
		}

		// The account pages; an app session (a legacy login on a phone)
		// shows in the list, and ending it there ends it for the
		// homeserver too.
		status, login := compatLogin(t, env, username, password, "ROBINPHONE")
		if status != http.StatusOK {
			t.Fatalf("legacy login: %d %v", status, login)
		}
		b.Open(env.URL("/account/"))
		b.Shots("account")
		b.Open(env.URL("/account/sessions"))
		if !strings.Contains(b.Text("main"), "ROBINPHONE") {
			t.Fatalf("the session list lacks the phone:\n%s", b.Text("main"))
		}
		b.Shots("sessions")
		markEndButton(t, b, "ROBINPHONE")
		b.Submit("#end-this-session")
		if strings.Contains(b.Text("main"), "ROBINPHONE") {
			t.Fatalf("the phone is still listed after ending it:\n%s", b.Text("main"))
		}
		if active := introspect(t, env, login["access_token"].(string))["active"]; active != false {
			t.Fatalf("the ended session's token introspects as active: %v", active)
		}
		env.Eventually("the phone's device to leave the homeserver", func() bool {
			for _, d := range env.Homeserver.Devices(username) {
				if d == "ROBINPHONE" {
					return false
				}
			}
			return true
		})

		// Changing the password needs the current one.
		b.Open(env.URL("/account/password/change"))
		b.Fill("#field-current_password", "not my password")
		b.Fill("#field-new_password", newPassword)
		b.Fill("#field-new_password_confirm", newPassword)
		b.Submit("form:has(#field-new_password) button[type=submit]")
		if !b.Has(".field-invalid #field-current_password") {
			t.Fatalf("a wrong current password was not refused at its field:\n%s", b.Text("main"))
		}
		b.Shots("password-wrong-current")
		b.Fill("#field-current_password", password)
		b.Fill("#field-new_password", newPassword)
		b.Fill("#field-new_password_confirm", newPassword)
		b.Submit("form:has(#field-new_password) button[type=submit]")
		if !b.Has(".notice-success") {
			t.Fatalf("no confirmation after changing the password:\n%s", b.Text("main"))
		}

		// Forgotten password: sign out, ask for a link, follow it.
		b.Submit(`form[action$="/logout"] button[type=submit]`)
		b.Open(env.URL("/recover"))
		b.Shots("recover")
		b.Fill("#field-email", address)
		b.Submit("form:has(#field-email) button[type=submit]")
		if !strings.Contains(b.URL(), "/recover/progress/") {
			t.Fatalf("after asking for a link: %s\n%s", b.URL(), b.Text("main"))
		}
		b.Shots("recover-progress")
		link := recoveryLinkInMail.FindStringSubmatch(mp.Wait(t, address, 2)[1].Text)
		if link == nil {
			t.Fatal("no recovery link in the mail")
		}
		b.Open(link[1])
		b.Fill("#field-password", lastPassword)
		b.Fill("#field-password_confirm", lastPassword)
		b.Shots("recover-new-password")
		b.Submit("form:has(#field-password) button[type=submit]")
		b.Open(env.URL("/login"))
		b.Fill("#field-username", username)
		b.Fill("#field-password", lastPassword)
		b.Submit("form:has(#field-password) button[type=submit]")
		if !strings.Contains(b.Text("main"), "@"+username+":") {
			t.Fatalf("the recovered password does not sign in: %s\n%s", b.URL(), b.Text("main"))
		}

		// Deactivation, with the current password and a confirmation.
		b.Open(env.URL("/account/deactivate"))
		b.Shots("deactivate")
		b.Fill("#field-current_password", lastPassword)
		b.Check("#field-confirm")
		b.Submit("form:has(#field-confirm) button[type=submit]")
		b.Shots("deactivated")
		user, err := env.App.Store.Users().FindByUsername(context.Background(), username)
		if err != nil {
			t.Fatal(err)
		}
		if user.DeactivatedAt == nil {
			t.Fatalf("%s is not deactivated", username)
		}
		env.Eventually(username+" to be deactivated on the homeserver", func() bool {
			u, _ := env.Homeserver.User(username)
			return u.Deactivated
		})
	})
}

// markEndButton gives the "end" button of the session row that mentions
// device the id end-this-session: the rows are alike, and only their text
// tells them apart.
func markEndButton(t *testing.T, b *chrometest.Browser, device string) {
	t.Helper()
	found := chrometest.Eval[bool](b, fmt.Sprintf(`(() => {
		for (const li of document.querySelectorAll("li")) {
			const button = li.querySelector("form button[type=submit]");
			if (button && li.textContent.includes(%q)) { button.id = "end-this-session"; return true; }
		}
		return false;
	})()`, device))
	if !found {
		t.Fatalf("no end button for %s", device)
	}
}
