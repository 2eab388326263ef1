package e2e

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/email/mailpittest"
	"mas/internal/testenv"
)

// operatorCodeLine is the log line an operator greps for when mail does not
// work (docs/configuration.md quotes it).
var operatorCodeLine = regexp.MustCompile(`msg="email could not be sent; give this verification code to the user" email=(\S+) code=([0-9]{6}) username=(\S+)`)

// TestRegisterWithMailDownCodeFromLog: with the SMTP server stopped, a user
// registering gets no mail, but the operator finds the code in the service's
// log (as the seed documentation promises), passes it on, and the
// registration completes. (Once the address is verified, the retried job
// sends nothing: the code is no longer needed.)
func TestRegisterWithMailDownCodeFromLog(t *testing.T) {
	mp := mailpittest.Require(t)
	backends(t, func(t *testing.T, postgres bool) {
		relay := mp.NewStoppable(t) // stands for the site's SMTP server
		relay.Stop()
		env := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
			openRegistration(cfg)
			cfg.Email.Transport = config.TransportSMTP
			cfg.Email.Mode = config.SMTPPlain
			cfg.Email.Hostname = relay.Host
			cfg.Email.Port = uint16(relay.Port)
		}})
		address := mailpittest.Address("maildown")
		b := browsertest.New(t, env.BaseURL)
		chooser := b.Get("/register")
		m := passwordLink.FindStringSubmatch(chooser.Body)
		if m == nil {
			t.Fatalf("registration chooser:\n%s", chooser.Body)
		}
		res := b.Submit(b.Get(html.UnescapeString(m[1])), map[string]string{
			"username": "mona", "email": address, "password": "ochre lantern 42 meadow", "password_confirm": "ochre lantern 42 meadow",
		}, "")
		if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Location, "/verify-email") {
			t.Fatalf("password form: %d %q\n%s", res.Status, res.Location, res.Body)
		}
		verifyPage := b.Get(res.Location)

		// What the operator does: read the journal.
		var code string
		env.Eventually("the code in the log", func() bool {
			for _, line := range operatorCodeLine.FindAllStringSubmatch(env.Logs.String(), -1) {
				if line[1] == address && line[3] == "mona" {
					code = line[2]
					return true
				}
			}
			return false
		})
		if got := mp.Messages(t, address); len(got) != 0 {
			t.Fatalf("a mail arrived although the server is down: %+v", got)
		}

		page := b.Settle(b.Submit(verifyPage, map[string]string{"code": code}, ""))
		if !strings.Contains(page.Body, `name="display_name"`) {
			t.Fatalf("the logged code was refused: %d\n%s", page.Status, page.Body)
		}
		res = b.Submit(page, map[string]string{"display_name": "Mona"}, "set")
		if res.Status != http.StatusSeeOther {
			t.Fatalf("display name: %d\n%s", res.Status, res.Body)
		}
		b.Settle(b.Get(res.Location))
		env.WaitProvisioned("mona")
		if _, ok := env.Homeserver.User("mona"); !ok {
			t.Fatal("mona is not on the homeserver")
		}

	})
}
