package e2e

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/email/mailpittest"
	"mas/internal/testenv"
)

// recoveryLinkInMail finds the recovery link on its own line of a mail's
// text.
var recoveryLinkInMail = regexp.MustCompile(`(?m)^\s*(http\S+/account/password/recovery\?ticket=\S+)\s*$`)

// TestPasswordRecoveryByEmail: a user who forgot the password asks for a
// link on /recover, gets it by mail (through a real SMTP server, read back
// from mailpit), asks for it again, opens the newest link in another
// browser, sets a new password and signs out everywhere: the app's device
// disappears from the homeserver and its token stops working; the new
// password logs in, the old one does not, and the links work no more.
func TestPasswordRecoveryByEmail(t *testing.T) {
	mp := mailpittest.Require(t)
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
			cfg.Account.PasswordRecoveryEnabled = true
			cfg.Email.Transport = config.TransportSMTP
			cfg.Email.Mode = config.SMTPPlain
			cfg.Email.Hostname = mp.SMTPHost
			cfg.Email.Port = uint16(mp.SMTPPort)
		}})
		ctx := context.Background()
		name, oldPassword, newPassword := "alice", "the password alice forgot", "quartz lantern meadow 1987 copper"
		alice := env.CreateUser(name, oldPassword)
		address := mailpittest.Address("recovery")
		if _, err := env.App.Store.UserEmails().Add(ctx, alice.ID, address); err != nil {
			t.Fatal(err)
		}
		const device = "RECOVERYDEV"
		tok, _ := codeFlow(t, env, name, oldPassword, "openid", "urn:matrix:client:api:*", "urn:matrix:client:device:"+device)
		if !slices.Contains(env.Homeserver.Devices(name), device) {
			t.Fatalf("the app's device is not on the homeserver: %v", env.Homeserver.Devices(name))
		}

		b := browsertest.New(t, env.BaseURL)
		res := b.Submit(b.Get("/recover"), map[string]string{"email": address}, "")
		if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/recover/progress/") {
			t.Fatalf("start: %d %q\n%s", res.Status, res.Location, res.Body)
		}
		progress := b.Get(res.Location)
		if progress.Status != http.StatusOK || !strings.Contains(progress.Body, address) {
			t.Fatalf("progress page: %d\n%s", progress.Status, progress.Body)
		}
		if again := b.Submit(progress, nil, ""); again.Status != http.StatusSeeOther {
			t.Fatalf("resend: %d\n%s", again.Status, again.Body)
		}
		mails := mp.Wait(t, address, 2)
		var links []string
		for _, m := range mails {
			found := recoveryLinkInMail.FindStringSubmatch(m.Text)
			if found == nil || !strings.HasPrefix(found[1], env.BaseURL+"account/password/recovery?ticket=") {
				t.Fatalf("no recovery link in the mail %q:\n%s", m.Subject, m.Text)
			}
			if !strings.Contains(m.HTML, html.EscapeString(found[1])) {
				t.Errorf("the HTML part lacks the link %s:\n%s", found[1], m.HTML)
			}
			links = append(links, found[1])
		}
		if links[0] == links[1] {
			t.Error("the second mail carries the same ticket as the first")
		}

		// The newest link, opened in the mail app's browser.
		phone := browsertest.New(t, env.BaseURL)
		form := phone.Get(links[1])
		if form.Status != http.StatusOK || !strings.Contains(form.Body, "@alice:"+testenv.ServerName) {
			t.Fatalf("recovery link: %d\n%s", form.Status, form.Body)
		}
		done := phone.Submit(form, map[string]string{
			"password": newPassword, "password_confirm": newPassword, "sign_out_everywhere": "on",
		}, "")
		if done.Status != http.StatusOK || !strings.Contains(done.Body, "Your password has been reset") {
			t.Fatalf("setting the password: %d\n%s", done.Status, done.Body)
		}

		env.Eventually("the device to leave the homeserver", func() bool {
			return !slices.Contains(env.Homeserver.Devices(name), device)
		})
		if active, _ := introspect(t, env, tok.AccessToken)["active"].(bool); active {
			t.Error("the app's token is still active")
		}
		for _, link := range links {
			if res := phone.Get(link); res.Status != http.StatusGone {
				t.Errorf("link after the reset: %d\n%s", res.Status, res.Body)
			}
		}
		login(t, browsertest.New(t, env.BaseURL), env.URL("/login"), name, newPassword)
		old := browsertest.New(t, env.BaseURL)
		res = old.Post("/login", url.Values{"csrf": {old.CSRF("/login")}, "username": {name}, "password": {oldPassword}})
		if res.Status == http.StatusSeeOther {
			t.Error("the old password still logs in")
		}
	})
}
