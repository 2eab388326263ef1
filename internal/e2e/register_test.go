package e2e

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/homeserver/synapsetest"
	"mas/internal/store"
	"mas/internal/testenv"
)

// openRegistration turns password registration on.
func openRegistration(cfg *config.Config) { cfg.Account.PasswordRegistrationEnabled = true }

var passwordLink = regexp.MustCompile(`href="([^"]*/register/password[^"]*)"`)

// newAccount is what a registration through the pages types.
type newAccount struct {
	username, email, password, displayName string
}

// registerThroughPages drives the registration pages from the chooser
// page (the answer that led there): the password form, the email code
// (read from the store once the send-email-authentication-code job has
// drawn it, as the mail would carry it), the display name. It returns
// the finish step's answer.
func registerThroughPages(t *testing.T, env *testenv.Env, b *browsertest.Browser, chooser *browsertest.Response, a newAccount) *browsertest.Response {
	t.Helper()
	m := passwordLink.FindStringSubmatch(chooser.Body)
	if chooser.Status != http.StatusOK || m == nil {
		t.Fatalf("registration chooser: %d\n%s", chooser.Status, chooser.Body)
	}
	form := b.Get(html.UnescapeString(m[1]))
	res := b.Submit(form, map[string]string{
		"username": a.username, "email": a.email, "password": a.password, "password_confirm": a.password,
	}, "")
	if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Location, "/verify-email") {
		t.Fatalf("password form: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	verifyPage := b.Get(res.Location)
	res = b.Submit(verifyPage, map[string]string{"code": mailedCode(t, env, res.Location)}, "")
	page := b.Settle(res)
	if !strings.Contains(page.Body, `name="display_name"`) {
		t.Fatalf("after the code: %d\n%s", page.Status, page.Body)
	}
	res = b.Submit(page, map[string]string{"display_name": a.displayName}, "set")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("display name: %d\n%s", res.Status, res.Body)
	}
	return b.Get(res.Location)
}

// mailedCode waits for the code the job drew for the registration of the
// verify-email step at location.
func mailedCode(t *testing.T, env *testenv.Env, location string) string {
	t.Helper()
	parts := strings.Split(location, "/")
	id, err := domain.ParseID(parts[len(parts)-2])
	if err != nil {
		t.Fatalf("registration ID in %q: %v", location, err)
	}
	ctx := context.Background()
	s := env.App.Store
	reg, err := s.Registrations().Lookup(ctx, id)
	if err != nil || reg.EmailAuthenticationID == nil {
		t.Fatalf("registration %s: %+v, %v", id, reg, err)
	}
	var code string
	env.Eventually("the email code to be drawn", func() bool {
		c, err := s.EmailAuthentications().LatestCode(ctx, *reg.EmailAuthenticationID)
		if errors.Is(err, store.ErrNotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		code = c.Code
		return true
	})
	return code
}

// TestRegisterThroughPromptCreate: an application asking for
// prompt=create (advertised once registration is open) sends the browser
// to the registration pages; the login hint suggests the username; once
// the account is made the authorization continues to consent and on to
// the application, whose token belongs to the new user.
func TestRegisterThroughPromptCreate(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres, Configure: openRegistration})
		md := getJSON(t, env.URL("/.well-known/openid-configuration"))
		if prompts, _ := md["prompt_values_supported"].([]any); !slices.Equal(prompts, []any{"login", "create"}) {
			t.Errorf("prompt_values_supported %v", md["prompt_values_supported"])
		}

		provider, err := oidc.NewProvider(context.Background(), env.BaseURL)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		conf := &oauth2.Config{
			ClientID: registerClient(t, env, "authorization_code", "refresh_token"), Endpoint: provider.Endpoint(),
			RedirectURL: redirectURI, Scopes: []string{"openid", "urn:matrix:client:api:*"},
		}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		verifier := oauth2.GenerateVerifier()
		b := browsertest.New(t, env.BaseURL)
		authURL := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier),
			oauth2.SetAuthURLParam("prompt", "create"), oauth2.SetAuthURLParam("login_hint", "@dora:"+testenv.ServerName))
		chooser := b.Follow(authURL)
		if !strings.Contains(chooser.Body, "username=dora") {
			t.Errorf("the login hint does not reach the form link:\n%s", chooser.Body)
		}
		res := registerThroughPages(t, env, b, chooser, newAccount{"dora", "dora@example.org", "a passphrase for dora", "Dora"})
		if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/consent/") {
			t.Fatalf("after registering: %d %q\n%s", res.Status, res.Location, res.Body)
		}
		consent := b.Follow(res.Location)
		res = b.Submit(consent, nil, "allow")
		loc, err := url.Parse(res.Location)
		if err != nil || loc.Query().Get("code") == "" {
			t.Fatalf("consent: %d %q", res.Status, res.Location)
		}
		tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if got := introspect(t, env, tok.AccessToken); got["active"] != true || got["username"] != "dora" {
			t.Errorf("introspection %v", got)
		}
		env.WaitProvisioned("dora")
		u, ok := env.Homeserver.User("dora")
		if !ok || u.DisplayName != "Dora" || !slices.Equal(u.Emails, []string{"dora@example.org"}) {
			t.Errorf("on the homeserver: %+v", u)
		}
	})
}

// TestRegisterCaptchaPagePolicy: with a captcha configured, the
// registration form's Content-Security-Policy lets the service's script
// and frames in; other pages keep the common policy.
func TestRegisterCaptchaPagePolicy(t *testing.T) {
	env := testenv.New(t, testenv.Options{Configure: func(cfg *config.Config) {
		openRegistration(cfg)
		cfg.Captcha = config.CaptchaConfig{Service: config.CaptchaCloudflareTurnstile, SiteKey: "site", SecretKey: "secret"}
	}})
	b := browsertest.New(t, env.BaseURL)
	form := b.Get("/register/password")
	csp := form.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src https://challenges.cloudflare.com", "frame-src https://challenges.cloudflare.com", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("registration form policy lacks %q: %s", want, csp)
		}
	}
	if !strings.Contains(form.Body, `class="cf-turnstile" data-sitekey="site"`) {
		t.Errorf("no widget on the form:\n%s", form.Body)
	}
	for _, path := range []string{"/login", "/register"} {
		if csp := b.Get(path).Header.Get("Content-Security-Policy"); strings.Contains(csp, "cloudflare") || strings.Contains(csp, "script-src") {
			t.Errorf("%s policy allows the captcha: %s", path, csp)
		}
	}
	// Without an answer, the form is refused and no registration starts.
	res := b.Submit(form, map[string]string{
		"username": "erin", "email": "erin@example.org", "password": "a passphrase for erin", "password_confirm": "a passphrase for erin",
	}, "")
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "The challenge was not solved") {
		t.Errorf("form without a captcha answer: %d\n%s", res.Status, res.Body)
	}
}

// TestRealSynapseRegisterThroughPages: a user who registers through the
// pages exists on Synapse with the chosen display name and the verified
// email.
func TestRealSynapseRegisterThroughPages(t *testing.T) {
	for _, postgres := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[postgres]
		t.Run(name, func(t *testing.T) {
			syn := synapsetest.Shared(t, synapsetest.Options{Postgres: postgres})
			env := testenv.New(t, testenv.Options{Postgres: postgres, Synapse: syn, Configure: openRegistration})
			a := newAccount{username: fresh("page"), password: "a passphrase for the pages", displayName: "Registered Through Pages"}
			a.email = a.username + "@example.org"
			b := browsertest.New(t, env.BaseURL)
			res := registerThroughPages(t, env, b, b.Get("/register"), a)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("finish: %d\n%s", res.Status, res.Body)
			}
			env.WaitProvisioned(a.username)

			// Reading the threepids takes Synapse's admin API: let the new
			// user ask for admin rights (the operator's grant, not the
			// page's).
			ctx := context.Background()
			user, err := env.App.Store.Users().FindByUsername(ctx, a.username)
			if err != nil {
				t.Fatal(err)
			}
			user.CanRequestAdmin = true
			if err := env.App.Store.Users().Update(ctx, user); err != nil {
				t.Fatal(err)
			}
			u := synapseAdminUser(t, env, adminToken(t, env, a.username, a.password), a.username)
			if u["displayname"] != a.displayName {
				t.Errorf("displayname on Synapse = %v, want %q", u["displayname"], a.displayName)
			}
			var emails []string
			threepids, _ := u["threepids"].([]any)
			for _, tp := range threepids {
				if m, _ := tp.(map[string]any); m["medium"] == "email" {
					emails = append(emails, m["address"].(string))
				}
			}
			if !slices.Equal(emails, []string{a.email}) {
				t.Errorf("emails on Synapse = %v, want [%s]", emails, a.email)
			}
		})
	}
}
