package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/testenv"
	"mas/internal/upstream/oidctest"
)

// The upstream login flow end to end against panva's oidc-provider (and
// the zitadel example provider where Node is not needed): the service's
// pages, the provider's own login form, a cookie-jar browser. One service
// holds several providers, each a client of the same Panva process, so
// that a test starts the provider once.

// flowID is the ID of the n-th provider of a test.
func flowID(n int) string { return fmt.Sprintf("01J9E2E%019d", n) }

// codeNotice is the do_register page's word that the address will need a
// code (upstream.register.email_needs_code).
const codeNotice = "confirm it with a code"

// flowProvider is one provider of a flowEnv: a client at Panva and the
// service's provider entry for it.
type flowProvider struct {
	id   string
	name string // human_name; "Panva" when empty
	// client is the registration at Panva. Its ID, secret (for the
	// client_secret_* methods), redirect URI, back-channel logout URI and,
	// for private_key_jwt, jwks_uri (our /oauth2/keys.json) are filled in.
	client oidctest.Client
	// edit adjusts the provider entry, whose issuer, client, scope
	// "openid profile email" and discovery_mode insecure are filled in.
	edit func(p *config.UpstreamProvider)
}

type flowOptions struct {
	postgres  bool
	op        oidctest.Config // without clients
	providers []flowProvider
	configure func(cfg *config.Config)
	// logoutURI, with op.BackchannelLogout, gives the back-channel
	// logout URI registered at Panva, from the service's own.
	logoutURI func(providerID, ours string) string
}

// flowEnv is the service with its providers at one Panva.
type flowEnv struct {
	*testenv.Env
	op *oidctest.Provider
}

func newFlowEnv(t *testing.T, o flowOptions) *flowEnv {
	t.Helper()
	f := &flowEnv{}
	f.Env = testenv.New(t, testenv.Options{Postgres: o.postgres, Configure: func(cfg *config.Config) {
		base := cfg.HTTP.PublicBase
		clients := make([]oidctest.Client, len(o.providers))
		for i, fp := range o.providers {
			c := fp.client
			c.ID = "mas-" + fp.id
			switch c.AuthMethod {
			case "none", "private_key_jwt":
			default:
				c.Secret = "secret-of-" + fp.id + "-0123456789abcdef"
			}
			if c.AuthMethod == "private_key_jwt" {
				c.JWKSURI = base + "oauth2/keys.json"
			}
			c.RedirectURIs = []string{base + "upstream/callback/" + fp.id}
			if o.op.BackchannelLogout {
				c.BackchannelLogoutURI = base + "upstream/backchannel-logout/" + fp.id
				if o.logoutURI != nil {
					c.BackchannelLogoutURI = o.logoutURI(fp.id, c.BackchannelLogoutURI)
				}
			}
			clients[i] = c
		}
		opCfg := o.op
		opCfg.Clients = clients
		f.op = oidctest.Panva(t, opCfg)
		for i, fp := range o.providers {
			c := clients[i]
			method := config.TokenAuthMethod(c.AuthMethod)
			if method == "" {
				method = config.TokenAuthClientSecretBasic
			}
			p := config.UpstreamProvider{
				Enabled: true, ID: fp.id, Issuer: f.op.Issuer(), HumanName: fp.name,
				ClientID: c.ID, ClientSecret: c.Secret, TokenEndpointAuthMethod: method,
				Scope: "openid profile email", DiscoveryMode: config.DiscoveryInsecure,
			}
			if p.HumanName == "" {
				p.HumanName = "Panva"
			}
			switch method {
			case config.TokenAuthClientSecretJWT:
				p.TokenEndpointAuthSigningAlg = "HS256"
			case config.TokenAuthPrivateKeyJWT:
				p.TokenEndpointAuthSigningAlg = "RS256"
			}
			if fp.edit != nil {
				fp.edit(&p)
			}
			cfg.UpstreamOAuth2.Providers = append(cfg.UpstreamOAuth2.Providers, p)
		}
		if o.configure != nil {
			o.configure(cfg)
		}
	}})
	return f
}

func (f *flowEnv) browser(t *testing.T) *browsertest.Browser {
	return browsertest.New(t, f.BaseURL)
}

// callback starts a login at the provider from /upstream/authorize, logs
// in with the provider's own form and returns its answer, not delivered.
func (f *flowEnv) callback(t *testing.T, b *browsertest.Browser, providerID string, u oidctest.User) *oidctest.Callback {
	t.Helper()
	start := b.URL(nil, "/upstream/authorize/"+providerID)
	return f.op.Login(t, b.Client, start.String(), u.Username, u.Password)
}

// signIn logs in at the provider, delivers its answer with the browser
// (which the service sends on to the link step) and returns the link
// step's answer.
func (f *flowEnv) signIn(t *testing.T, b *browsertest.Browser, providerID string, u oidctest.User) *browsertest.Response {
	t.Helper()
	res := deliver(t, b, f.callback(t, b, providerID, u))
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
		t.Fatalf("callback: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	return b.Get(res.Location)
}

// follow follows the redirects from res that stay on the service and
// returns the last answer with the paths it went through.
func (f *flowEnv) follow(b *browsertest.Browser, res *browsertest.Response) (*browsertest.Response, []string) {
	var paths []string
	for range 20 {
		if res.Status < 300 || res.Status >= 400 || res.Location == "" {
			break
		}
		next := b.URL(res.URL, res.Location)
		if !strings.HasPrefix(next.String(), f.BaseURL) {
			break
		}
		paths = append(paths, next.Path)
		res = b.Get(next.String())
	}
	return res, paths
}

var accountMXID = regexp.MustCompile(`@([a-z0-9._=/+-]+):` + regexp.QuoteMeta(testenv.ServerName))

// signedInAs is the user whose account page the browser sees, or "" when
// the account page sends it to the login page.
func signedInAs(t *testing.T, b *browsertest.Browser) string {
	t.Helper()
	res := b.Get("/account/")
	switch {
	case res.Status == http.StatusSeeOther && strings.Contains(res.Location, "/login"):
		return ""
	case res.Status != http.StatusOK:
		t.Fatalf("account page: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	m := accountMXID.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("account page without a Matrix ID:\n%s", res.Body)
	}
	return m[1]
}

func wantSignedIn(t *testing.T, b *browsertest.Browser, username string) {
	t.Helper()
	if got := signedInAs(t, b); got != username {
		t.Errorf("the browser is signed in as %q, want %q", got, username)
	}
}

func (f *flowEnv) user(t *testing.T, username string) *domain.User {
	t.Helper()
	u, err := f.App.Store.Users().FindByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return u
}

func (f *flowEnv) noUser(t *testing.T, username string) {
	t.Helper()
	if _, err := f.App.Store.Users().FindByUsername(context.Background(), username); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("user %s exists already (%v)", username, err)
	}
}

func (f *flowEnv) userCount(t *testing.T) int {
	t.Helper()
	n, err := f.App.Store.Users().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustID(t *testing.T, s string) domain.ID {
	t.Helper()
	id, err := domain.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// link is the link the callback made for the subject at the provider.
func (f *flowEnv) link(t *testing.T, providerID, subject string) *domain.UpstreamLink {
	t.Helper()
	l, err := f.App.Store.UpstreamLinks().FindBySubject(context.Background(), mustID(t, providerID), subject)
	if err != nil {
		t.Fatalf("link for %s at %s: %v", subject, providerID, err)
	}
	return l
}

// addLink links u to subject at the provider, as an earlier login would.
func (f *flowEnv) addLink(t *testing.T, providerID, subject string, u *domain.User) {
	t.Helper()
	if _, err := f.App.Store.UpstreamLinks().Add(context.Background(), mustID(t, providerID), subject, &u.ID, ""); err != nil {
		t.Fatal(err)
	}
}

// linksOf lists u's links as "provider/subject", sorted.
func (f *flowEnv) linksOf(t *testing.T, u *domain.User) []string {
	t.Helper()
	links, err := f.App.Store.UpstreamLinks().ListForUser(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(links))
	for _, l := range links {
		out = append(out, l.ProviderID.String()+"/"+l.Subject)
	}
	slices.Sort(out)
	return out
}

func (f *flowEnv) wantEmails(t *testing.T, u *domain.User, want ...string) {
	t.Helper()
	emails, err := f.App.Store.UserEmails().ListForUser(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range emails {
		got = append(got, e.Email)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s's addresses: %v, want %v", u.Username, got, want)
	}
}

// authorizeRequest is the last authorization request Panva received from
// the provider's client.
func (f *flowEnv) authorizeRequest(t *testing.T, providerID string) url.Values {
	t.Helper()
	reqs := f.op.AuthorizeRequests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Get("client_id") == "mas-"+providerID {
			return reqs[i]
		}
	}
	t.Fatalf("Panva received no authorization request from provider %s", providerID)
	return nil
}

// register submits the do_register page as it is and follows the
// registration steps; with wantCode it expects the email code step and
// enters the mailed code. It returns the created user, signed in and
// linked.
func (f *flowEnv) register(t *testing.T, b *browsertest.Browser, page *browsertest.Response, providerID string, u oidctest.User, localpart string, wantCode bool) *domain.User {
	t.Helper()
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "@"+localpart+":") {
		t.Fatalf("do_register page for %s: %d\n%s", localpart, page.Status, page.Body)
	}
	if strings.Contains(page.Body, codeNotice) != wantCode {
		t.Errorf("the page says a code is needed: %v, want %v", !wantCode, wantCode)
	}
	res, paths := f.follow(b, b.Submit(page, nil, "register"))
	atCode := strings.HasSuffix(res.URL.Path, "/verify-email")
	if atCode != wantCode {
		t.Fatalf("email code step: %v, want %v (went through %v, ended %d at %s)\n%s", atCode, wantCode, paths, res.Status, res.URL, res.Body)
	}
	if wantCode {
		f.noUser(t, localpart) // not before the address is confirmed
		res, _ = f.follow(b, b.Submit(res, map[string]string{"code": mailedCode(t, f.Env, res.URL.Path)}, ""))
	}
	if res.Status != http.StatusOK {
		t.Fatalf("after registering: %d at %s\n%s", res.Status, res.URL, res.Body)
	}
	user := f.user(t, localpart)
	wantSignedIn(t, b, localpart)
	if l := f.link(t, providerID, u.Subject); l.UserID == nil || *l.UserID != user.ID {
		t.Errorf("link %+v, want it to %s", l, user.ID)
	}
	return user
}

// mapProfile imports the localpart (required; prefix before the
// preferred_username), the display name (forced) and, with email, the
// address (forced).
func mapProfile(prefix string, email bool) func(p *config.UpstreamProvider) {
	return func(p *config.UpstreamProvider) {
		c := &p.ClaimsImports
		c.Localpart = config.LocalpartImport{Action: config.ImportRequire}
		if prefix != "" {
			c.Localpart.Template = prefix + "{{ user.preferred_username }}"
		}
		c.Displayname = config.AttributeImport{Action: config.ImportForce}
		if email {
			c.Email = config.EmailImport{Action: config.ImportForce}
		}
	}
}

// TestUpstreamPanvaRegistration: a first login at Panva creates the
// account with the mapped localpart, display name and address, the
// address confirmed without a code only when set_email_verification lets
// the provider vouch for it; a second login goes straight in; a provider
// with registration_token_required stops at the token step until a valid
// token is given; skip_confirmation creates the account without the
// do_register page.
func TestUpstreamPanvaRegistration(t *testing.T) {
	carol := oidctest.User{Subject: "sub-carol-0003", Username: "carol", Password: "carol-password",
		Name: "Carol Danvers", Email: "carol@example.net", EmailVerified: true}
	dave := oidctest.User{Subject: "sub-dave-0004", Username: "dave", Password: "dave-password",
		Name: "Dave Grohl", Email: "dave@example.net"}
	idImport, idAlways, idNever, idToken, idSkip := flowID(1), flowID(2), flowID(3), flowID(4), flowID(5)
	verification := func(v config.EmailVerification) func(p *config.UpstreamProvider) {
		return func(p *config.UpstreamProvider) {
			mapProfile("", true)(p)
			p.ClaimsImports.Email.SetEmailVerification = v
		}
	}
	backends(t, func(t *testing.T, postgres bool) {
		f := newFlowEnv(t, flowOptions{
			postgres: postgres,
			op:       oidctest.Config{Users: []oidctest.User{oidctest.Alice, oidctest.Bob, carol, dave}},
			providers: []flowProvider{
				{id: idImport, edit: mapProfile("", true)},
				{id: idAlways, edit: verification(config.EmailVerificationAlways)},
				{id: idNever, edit: verification(config.EmailVerificationNever)},
				{id: idToken, edit: func(p *config.UpstreamProvider) {
					mapProfile("token-", false)(p)
					p.RegistrationTokenRequired = true
				}},
				{id: idSkip, edit: func(p *config.UpstreamProvider) {
					mapProfile("skip-", false)(p)
					p.ClaimsImports.SkipConfirmation = true
				}},
			},
		})
		ctx := context.Background()

		t.Run("verified address: no code", func(t *testing.T) {
			b := f.browser(t)
			page := f.signIn(t, b, idImport, oidctest.Alice)
			for _, want := range []string{"Alice Liddell", "alice@example.com"} {
				if !strings.Contains(page.Body, want) {
					t.Errorf("do_register page lacks %q", want)
				}
			}
			alice := f.register(t, b, page, idImport, oidctest.Alice, "alice", false)
			f.wantEmails(t, alice, "alice@example.com")
			f.WaitProvisioned("alice")
			if hu, _ := f.Homeserver.User("alice"); hu.DisplayName != "Alice Liddell" || !slices.Equal(hu.Emails, []string{"alice@example.com"}) {
				t.Errorf("on the homeserver: %+v", hu)
			}
		})

		t.Run("second login goes straight in", func(t *testing.T) {
			alice := f.user(t, "alice")
			link := f.link(t, idImport, oidctest.Alice.Subject)
			users := f.userCount(t)
			b := f.browser(t)
			res := f.signIn(t, b, idImport, oidctest.Alice)
			if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.URL.Path, "/upstream/link/"+link.ID.String()) {
				t.Fatalf("link step %s: %d\n%s", res.URL, res.Status, res.Body)
			}
			wantSignedIn(t, b, "alice")
			if n := f.userCount(t); n != users {
				t.Errorf("%d users, want %d", n, users)
			}
			if got := f.linksOf(t, alice); !slices.Equal(got, []string{idImport + "/" + oidctest.Alice.Subject}) {
				t.Errorf("alice's links: %v", got)
			}
		})

		t.Run("unverified address: code", func(t *testing.T) {
			b := f.browser(t)
			bob := f.register(t, b, f.signIn(t, b, idImport, oidctest.Bob), idImport, oidctest.Bob, "bob", true)
			f.wantEmails(t, bob, "bob@example.org")
		})

		t.Run("set_email_verification always: no code", func(t *testing.T) {
			b := f.browser(t)
			u := f.register(t, b, f.signIn(t, b, idAlways, dave), idAlways, dave, "dave", false)
			f.wantEmails(t, u, "dave@example.net")
		})

		t.Run("set_email_verification never: code for a verified address", func(t *testing.T) {
			b := f.browser(t)
			u := f.register(t, b, f.signIn(t, b, idNever, carol), idNever, carol, "carol", true)
			f.wantEmails(t, u, "carol@example.net")
		})

		t.Run("registration_token_required", func(t *testing.T) {
			b := f.browser(t)
			page := f.signIn(t, b, idToken, oidctest.Alice)
			if page.Status != http.StatusOK {
				t.Fatalf("do_register page: %d\n%s", page.Status, page.Body)
			}
			step, paths := f.follow(b, b.Submit(page, nil, "register"))
			if step.Status != http.StatusOK || !strings.HasSuffix(step.URL.Path, "/token") {
				t.Fatalf("token step: %d at %s (through %v)\n%s", step.Status, step.URL, paths, step.Body)
			}
			res := b.Submit(step, map[string]string{"token": "no-such-token"}, "")
			if res.Status != http.StatusBadRequest {
				t.Fatalf("unknown token: %d\n%s", res.Status, res.Body)
			}
			f.noUser(t, "token-alice")
			one := 1
			tok := &domain.RegistrationToken{Token: "upstream-e2e-token", UsageLimit: &one}
			if err := f.App.Store.RegistrationTokens().Add(ctx, tok); err != nil {
				t.Fatal(err)
			}
			final, _ := f.follow(b, b.Submit(res, map[string]string{"token": tok.Token}, ""))
			if final.Status != http.StatusOK {
				t.Fatalf("after the token: %d at %s\n%s", final.Status, final.URL, final.Body)
			}
			f.user(t, "token-alice")
			wantSignedIn(t, b, "token-alice")
			if used, err := f.App.Store.RegistrationTokens().Lookup(ctx, tok.ID); err != nil || used.TimesUsed != 1 {
				t.Errorf("token after use: %+v, %v", used, err)
			}
		})

		t.Run("skip_confirmation", func(t *testing.T) {
			b := f.browser(t)
			res := f.signIn(t, b, idSkip, oidctest.Alice)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("link step answered %d, want a redirect past the do_register page\n%s", res.Status, res.Body)
			}
			final, paths := f.follow(b, res)
			if final.Status != http.StatusOK || slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "/upstream/link/") }) {
				t.Fatalf("after the link step: %d at %s (through %v)\n%s", final.Status, final.URL, paths, final.Body)
			}
			u := f.user(t, "skip-alice")
			wantSignedIn(t, b, "skip-alice")
			f.WaitProvisioned("skip-alice")
			if hu, _ := f.Homeserver.User("skip-alice"); hu.DisplayName != "Alice Liddell" {
				t.Errorf("on the homeserver: %+v", hu)
			}
			if got := f.linksOf(t, u); !slices.Equal(got, []string{idSkip + "/" + oidctest.Alice.Subject}) {
				t.Errorf("links: %v", got)
			}
		})
	})
}

// panvaUser is a Panva account whose preferred_username is name.
func panvaUser(name string) oidctest.User {
	return oidctest.User{Subject: "sub-" + name, Username: name, Password: name + "-password", Name: "Remote " + name}
}

var usernameInput = regexp.MustCompile(`<input[^>]*name="username"[^>]*>`)

// TestUpstreamExistingAccounts: an imported localpart that a local user
// holds follows on_conflict (fail, add, replace, set) and a suggested one
// is dropped; a signed-in user is offered to link the provider's account
// (suggest_link) and sees it on the account page; an account linked to
// someone else gives link_mismatch, from which the user can switch.
func TestUpstreamExistingAccounts(t *testing.T) {
	idFail, idAdd, idReplace, idSet, idSuggest, idLink := flowID(11), flowID(12), flowID(13), flowID(14), flowID(15), flowID(16)
	require := func(onConflict config.OnConflict, action config.ImportAction) func(p *config.UpstreamProvider) {
		return func(p *config.UpstreamProvider) {
			p.ClaimsImports.Localpart = config.LocalpartImport{Action: action, OnConflict: onConflict}
		}
	}
	names := []string{"fail-holder", "add-holder", "replace-holder", "set-free", "set-linked", "suggest-holder", "remote-linker"}
	var users []oidctest.User
	for _, n := range names {
		users = append(users, panvaUser(n))
	}
	backends(t, func(t *testing.T, postgres bool) {
		f := newFlowEnv(t, flowOptions{
			postgres: postgres,
			op:       oidctest.Config{Users: users},
			providers: []flowProvider{
				{id: idFail, edit: require(config.ConflictFail, config.ImportRequire)},
				{id: idAdd, edit: require(config.ConflictAdd, config.ImportRequire)},
				{id: idReplace, edit: require(config.ConflictReplace, config.ImportForce)},
				{id: idSet, edit: require(config.ConflictSet, config.ImportRequire)},
				{id: idSuggest, edit: require("", config.ImportSuggest)},
				{id: idLink, name: "Link IdP", edit: func(p *config.UpstreamProvider) {
					p.ClaimsImports.AccountName.Template = "{{ user.preferred_username }}"
				}},
			},
		})
		holders := map[string]*domain.User{}
		for _, n := range names[:6] {
			holders[n] = f.CreateUser(n, "holder-password")
		}
		f.addLink(t, idAdd, "sub-old-add", holders["add-holder"])
		f.addLink(t, idReplace, "sub-old-replace", holders["replace-holder"])
		f.addLink(t, idFail, "sub-replace-elsewhere", holders["replace-holder"])
		f.addLink(t, idSet, "sub-old-set", holders["set-linked"])

		for _, tc := range []struct {
			name, provider, holder string
			signsIn                bool
			links                  []string // the holder's links afterwards
		}{
			{"fail", idFail, "fail-holder", false, nil},
			{"add keeps the holder's link", idAdd, "add-holder", true, []string{idAdd + "/sub-add-holder", idAdd + "/sub-old-add"}},
			{"replace", idReplace, "replace-holder", true, []string{idFail + "/sub-replace-elsewhere", idReplace + "/sub-replace-holder"}},
			{"set, holder not linked", idSet, "set-free", true, []string{idSet + "/sub-set-free"}},
			{"set, holder linked", idSet, "set-linked", false, []string{idSet + "/sub-old-set"}},
		} {
			t.Run("on_conflict "+tc.name, func(t *testing.T) {
				slices.Sort(tc.links)
				holder := holders[tc.holder]
				count := f.userCount(t)
				b := f.browser(t)
				res := f.signIn(t, b, tc.provider, panvaUser(tc.holder))
				link := f.link(t, tc.provider, "sub-"+tc.holder)
				if tc.signsIn {
					if res.Status != http.StatusSeeOther {
						t.Fatalf("link step: %d\n%s", res.Status, res.Body)
					}
					if final, _ := f.follow(b, res); final.Status != http.StatusOK {
						t.Fatalf("after the link step: %d at %s", final.Status, final.URL)
					}
					wantSignedIn(t, b, tc.holder)
					if link.UserID == nil || *link.UserID != holder.ID {
						t.Errorf("link %+v, want it to the holder", link)
					}
				} else {
					if res.Status != http.StatusConflict || !strings.Contains(res.Body, "already taken") || !strings.Contains(res.Body, tc.holder) {
						t.Fatalf("link step: %d, want the username-taken problem\n%s", res.Status, res.Body)
					}
					wantSignedIn(t, b, "")
					if link.UserID != nil {
						t.Errorf("link %+v, want it to nobody", link)
					}
				}
				if got := f.linksOf(t, holder); !slices.Equal(got, tc.links) {
					t.Errorf("the holder's links: %v, want %v", got, tc.links)
				}
				if n := f.userCount(t); n != count {
					t.Errorf("%d users, want %d", n, count)
				}
			})
		}

		t.Run("suggested localpart taken", func(t *testing.T) {
			b := f.browser(t)
			page := f.signIn(t, b, idSuggest, panvaUser("suggest-holder"))
			input := usernameInput.FindString(page.Body)
			if page.Status != http.StatusOK || input == "" || strings.Contains(input, `type="hidden"`) || strings.Contains(input, `value="suggest-holder"`) {
				t.Fatalf("do_register page: %d, username input %q\n%s", page.Status, input, page.Body)
			}
			if strings.Contains(input, "value=") && !strings.Contains(input, `value=""`) {
				t.Errorf("username input %q is not empty", input)
			}
			res, _ := f.follow(b, b.Submit(page, map[string]string{"username": "suggest-chosen"}, "register"))
			if res.Status != http.StatusOK {
				t.Fatalf("registering: %d at %s\n%s", res.Status, res.URL, res.Body)
			}
			wantSignedIn(t, b, "suggest-chosen")
			if got := f.linksOf(t, f.user(t, "suggest-chosen")); !slices.Equal(got, []string{idSuggest + "/sub-suggest-holder"}) {
				t.Errorf("links: %v", got)
			}
			if got := f.linksOf(t, holders["suggest-holder"]); len(got) != 0 {
				t.Errorf("the holder got links: %v", got)
			}
		})

		t.Run("signed in: suggest_link, then link_mismatch", func(t *testing.T) {
			linker := f.CreateUser("linker", "linker-password")
			f.CreateUser("bystander", "bystander-password")
			remote := panvaUser("remote-linker")

			b := f.browser(t)
			login(t, b, f.URL("/account/"), "linker", "linker-password")
			page := f.signIn(t, b, idLink, remote)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "@linker:"+testenv.ServerName) || !strings.Contains(page.Body, "Link IdP") {
				t.Fatalf("suggest_link page: %d\n%s", page.Status, page.Body)
			}
			if l := f.link(t, idLink, remote.Subject); l.UserID != nil {
				t.Fatalf("linked before the user said so: %+v", l)
			}
			res, _ := f.follow(b, b.Submit(page, nil, "link"))
			if res.Status != http.StatusOK {
				t.Fatalf("after linking: %d at %s\n%s", res.Status, res.URL, res.Body)
			}
			wantSignedIn(t, b, "linker")
			if got := f.linksOf(t, linker); !slices.Equal(got, []string{idLink + "/" + remote.Subject}) {
				t.Errorf("linker's links: %v", got)
			}
			account := b.Get("/account/")
			if !strings.Contains(account.Body, "Link IdP") || !strings.Contains(account.Body, "remote-linker") {
				t.Errorf("the account page does not list the linked account:\n%s", account.Body)
			}

			// Someone else signed in, the same provider account: it is
			// linker's, so the page offers to switch.
			b2 := f.browser(t)
			login(t, b2, f.URL("/account/"), "bystander", "bystander-password")
			page = f.signIn(t, b2, idLink, remote)
			if page.Status != http.StatusConflict || !strings.Contains(page.Body, "@linker:"+testenv.ServerName) || !strings.Contains(page.Body, "@bystander:"+testenv.ServerName) {
				t.Fatalf("link_mismatch page: %d\n%s", page.Status, page.Body)
			}
			wantSignedIn(t, b2, "bystander")
			res, _ = f.follow(b2, b2.Submit(page, nil, "switch"))
			if res.Status != http.StatusOK {
				t.Fatalf("after switching: %d at %s\n%s", res.Status, res.URL, res.Body)
			}
			wantSignedIn(t, b2, "linker")
		})
	})
}

// TestUpstreamClientSettings: the relying-party settings against a Panva
// that keeps profile claims out of its ID tokens (they are in userinfo
// alone): every token_endpoint_auth_method, every pkce_method, every
// discovery_mode, response_mode form_post, and fetch_userinfo on and off.
func TestUpstreamClientSettings(t *testing.T) {
	var (
		idBasic, idFormPost, idNoUserinfo     = flowID(21), flowID(22), flowID(23)
		idPKCEAlways, idPKCENever             = flowID(24), flowID(25)
		idNone, idPost, idSecretJWT, idKeyJWT = flowID(26), flowID(27), flowID(28), flowID(29)
		idDiscoveryDisabled, idDiscoveryOIDC  = flowID(30), flowID(31)
		userinfo                              = func(prefix string) func(p *config.UpstreamProvider) {
			return func(p *config.UpstreamProvider) {
				mapProfile(prefix, true)(p)
				p.FetchUserinfo = true
			}
		}
		with = func(prefix string, edit func(p *config.UpstreamProvider)) func(p *config.UpstreamProvider) {
			return func(p *config.UpstreamProvider) {
				userinfo(prefix)(p)
				edit(p)
			}
		}
	)
	backends(t, func(t *testing.T, postgres bool) {
		f := newFlowEnv(t, flowOptions{
			postgres: postgres,
			op:       oidctest.Config{ConformIDTokenClaims: true},
			providers: []flowProvider{
				{id: idBasic, edit: userinfo("")},
				{id: idFormPost, edit: with("formpost-", func(p *config.UpstreamProvider) { p.ResponseMode = config.ResponseModeFormPost })},
				{id: idNoUserinfo, edit: func(p *config.UpstreamProvider) {
					mapProfile("", true)(p)
					p.ClaimsImports.Localpart = config.LocalpartImport{Action: config.ImportSuggest}
				}},
				{id: idPKCEAlways, edit: with("always-", func(p *config.UpstreamProvider) { p.PKCEMethod = config.PKCEAlways })},
				{id: idPKCENever, edit: with("never-", func(p *config.UpstreamProvider) { p.PKCEMethod = config.PKCENever })},
				{id: idNone, client: oidctest.Client{AuthMethod: "none"}, edit: userinfo("none-")},
				{id: idPost, client: oidctest.Client{AuthMethod: "client_secret_post"}, edit: userinfo("post-")},
				{id: idSecretJWT, client: oidctest.Client{AuthMethod: "client_secret_jwt"}, edit: userinfo("secretjwt-")},
				{id: idKeyJWT, client: oidctest.Client{AuthMethod: "private_key_jwt"}, edit: userinfo("keyjwt-")},
				{id: idDiscoveryDisabled, edit: with("disabled-", func(p *config.UpstreamProvider) {
					p.DiscoveryMode = config.DiscoveryDisabled
					// Panva's own paths.
					p.AuthorizationEndpoint, p.TokenEndpoint = p.Issuer+"/auth", p.Issuer+"/token"
					p.JWKSURI, p.UserinfoEndpoint = p.Issuer+"/jwks", p.Issuer+"/me"
				})},
				{id: idDiscoveryOIDC, edit: with("oidc-", func(p *config.UpstreamProvider) { p.DiscoveryMode = config.DiscoveryOIDC })},
			},
		})

		// Each login reaches the do_register page with what userinfo
		// gave: the code was exchanged (client authentication), the ID
		// token verified, userinfo fetched.
		for _, tc := range []struct {
			name, provider, localpart string
			pkce                      bool
		}{
			{"client_secret_basic, pkce auto, discovery insecure", idBasic, "alice", true},
			{"pkce always", idPKCEAlways, "always-alice", true},
			{"pkce never", idPKCENever, "never-alice", false},
			{"none", idNone, "none-alice", true},
			{"client_secret_post", idPost, "post-alice", true},
			{"client_secret_jwt", idSecretJWT, "secretjwt-alice", true},
			{"private_key_jwt", idKeyJWT, "keyjwt-alice", true},
			// Without metadata, auto cannot know that Panva takes PKCE.
			{"discovery disabled", idDiscoveryDisabled, "disabled-alice", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := f.browser(t)
				page := f.signIn(t, b, tc.provider, oidctest.Alice)
				for _, want := range []string{"@" + tc.localpart + ":", "Alice Liddell", "alice@example.com"} {
					if page.Status != http.StatusOK || !strings.Contains(page.Body, want) {
						t.Fatalf("do_register page: %d, lacks %q\n%s", page.Status, want, page.Body)
					}
				}
				q := f.authorizeRequest(t, tc.provider)
				if q.Has("code_challenge") != tc.pkce || (tc.pkce && q.Get("code_challenge_method") != "S256") {
					t.Errorf("authorization request %v: PKCE %v, want %v", q, q.Has("code_challenge"), tc.pkce)
				}
			})
		}

		t.Run("fetch_userinfo: the account gets userinfo's claims", func(t *testing.T) {
			b := f.browser(t)
			alice := f.register(t, b, f.signIn(t, b, idBasic, oidctest.Alice), idBasic, oidctest.Alice, "alice", false)
			f.wantEmails(t, alice, "alice@example.com")
			f.WaitProvisioned("alice")
			if hu, _ := f.Homeserver.User("alice"); hu.DisplayName != "Alice Liddell" {
				t.Errorf("on the homeserver: %+v", hu)
			}
		})

		t.Run("without fetch_userinfo the imports have nothing", func(t *testing.T) {
			b := f.browser(t)
			page := f.signIn(t, b, idNoUserinfo, oidctest.Alice)
			if page.Status != http.StatusOK || strings.Contains(page.Body, "Alice Liddell") || strings.Contains(page.Body, "alice@example.com") {
				t.Fatalf("do_register page: %d, want it without name or address\n%s", page.Status, page.Body)
			}
			res, _ := f.follow(b, b.Submit(page, map[string]string{"username": "plain-user"}, "register"))
			if res.Status != http.StatusOK {
				t.Fatalf("registering: %d at %s\n%s", res.Status, res.URL, res.Body)
			}
			u := f.user(t, "plain-user")
			f.wantEmails(t, u)
			f.WaitProvisioned("plain-user")
			if hu, _ := f.Homeserver.User("plain-user"); hu.DisplayName == "Alice Liddell" {
				t.Errorf("on the homeserver: %+v", hu)
			}
		})

		t.Run("response_mode form_post", func(t *testing.T) {
			b := f.browser(t)
			cb := f.callback(t, b, idFormPost, oidctest.Alice)
			if cb.Method != http.MethodPost || cb.Form.Get("code") == "" {
				t.Fatalf("Panva answered with %s %s %v", cb.Method, cb.URL, cb.Form)
			}
			if q := f.authorizeRequest(t, idFormPost); q.Get("response_mode") != "form_post" {
				t.Errorf("authorization request %v", q)
			}
			// The provider's page posts cross-site: the browser sends none
			// of our SameSite=Lax cookies with it.
			req, err := cb.Request(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			bare := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := bare.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			action, fields, err := browsertest.FindForm(string(body), "")
			if resp.StatusCode != http.StatusOK || err != nil || action != cb.URL.String() ||
				fields.Get("code") != cb.Form.Get("code") || fields.Get("state") != cb.Form.Get("state") {
				t.Fatalf("cookie-less callback: %d, form %q %v (%v)\n%s", resp.StatusCode, action, fields, err, body)
			}
			// The page posts the form again from our origin, with the
			// cookies.
			res := b.Post(action, fields)
			if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
				t.Fatalf("re-posted callback: %d %q\n%s", res.Status, res.Location, res.Body)
			}
			page := b.Get(res.Location)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "@formpost-alice:") {
				t.Fatalf("do_register page: %d\n%s", page.Status, page.Body)
			}
		})

		t.Run("discovery oidc refuses an http provider", func(t *testing.T) {
			b := f.browser(t)
			res := b.Get("/upstream/authorize/" + idDiscoveryOIDC)
			if res.Status != http.StatusBadGateway || !strings.Contains(res.Body, "not set up correctly") {
				t.Fatalf("authorize: %d %q\n%s", res.Status, res.Location, res.Body)
			}
			logs := f.Logs.String()
			if !strings.Contains(logs, "upstream login failed") || !strings.Contains(logs, "provider_id="+idDiscoveryOIDC) || !strings.Contains(logs, "does not use https") {
				t.Errorf("the log does not say why:\n%s", logs)
			}
			for _, q := range f.op.AuthorizeRequests() {
				if q.Get("client_id") == "mas-"+idDiscoveryOIDC {
					t.Errorf("the browser reached Panva: %v", q)
				}
			}
		})
	})
}

// TestUpstreamLoginPage: the login page and the registration chooser show
// the provider's button; with passwords off and a single provider, both
// send the browser straight to it, and the login completes there.
func TestUpstreamLoginPage(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		t.Run("buttons", func(t *testing.T) {
			s := zitadelSetup(postgres)
			s.configure = openRegistration
			env, _ := upstreamEnv(t, s)
			b := browsertest.New(t, env.BaseURL)
			for _, path := range []string{"/login", "/register"} {
				res := b.Get(path)
				if res.Status != http.StatusOK || !strings.Contains(res.Body, "Test IdP") ||
					!strings.Contains(res.Body, "/upstream/authorize/"+upstreamProviderID) {
					t.Errorf("%s: %d, without the provider's button\n%s", path, res.Status, res.Body)
				}
			}
		})

		t.Run("passwords off, one provider", func(t *testing.T) {
			s := zitadelSetup(postgres)
			s.configure = func(cfg *config.Config) { cfg.Passwords.Enabled = false }
			env, op := upstreamEnv(t, s)
			b := browsertest.New(t, env.BaseURL)
			reg := b.Get("/register")
			res := b.Get("/login")
			for _, r := range []*browsertest.Response{res, reg} {
				if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/upstream/authorize/"+upstreamProviderID) {
					t.Fatalf("%s: %d %q, want a redirect to the provider", r.URL.Path, r.Status, r.Location)
				}
			}
			res = deliver(t, b, op.Login(t, b.Client, b.URL(res.URL, res.Location).String(), "alice", "alice-password"))
			if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
				t.Fatalf("callback: %d %q\n%s", res.Status, res.Location, res.Body)
			}
			page := b.Get(res.Location)
			if page.Status != http.StatusOK {
				t.Fatalf("do_register page: %d\n%s", page.Status, page.Body)
			}
			if final := b.Settle(b.Submit(page, nil, "register")); final.Status != http.StatusOK {
				t.Fatalf("registering: %d at %s\n%s", final.Status, final.URL, final.Body)
			}
			wantSignedIn(t, b, "alice")
		})
	})
}

// logoutRecorder stands between Panva and the service's back-channel
// logout endpoints: it passes each logout token on and keeps it, with
// the service's answer, so that a test can replay it.
type logoutRecorder struct {
	*httptest.Server
	mu         sync.Mutex
	targets    map[string]string // provider ID → the service's endpoint
	deliveries map[string][]logoutDelivery
}

type logoutDelivery struct {
	token  string
	status int
}

func newLogoutRecorder(t *testing.T) *logoutRecorder {
	r := &logoutRecorder{targets: map[string]string{}, deliveries: map[string][]logoutDelivery{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

// uri is where Panva posts the provider's logout tokens.
func (r *logoutRecorder) uri(providerID, ours string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.targets[providerID] = ours
	return r.URL + "/" + providerID
}

func (r *logoutRecorder) serve(w http.ResponseWriter, req *http.Request) {
	id := strings.TrimPrefix(req.URL.Path, "/")
	r.mu.Lock()
	target := r.targets[id]
	r.mu.Unlock()
	if err := req.ParseForm(); err != nil || target == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	resp, err := http.PostForm(target, req.PostForm)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r.mu.Lock()
	r.deliveries[id] = append(r.deliveries[id], logoutDelivery{token: req.PostForm.Get("logout_token"), status: resp.StatusCode})
	r.mu.Unlock()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func (r *logoutRecorder) delivered(providerID string) []logoutDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deliveries[providerID])
}

// compatSSOLogin has the signed-in browser approve a legacy SSO login
// and the client redeem its login token: a compat session started from
// the browser session.
func (f *flowEnv) compatSSOLogin(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	res := b.Get("/_matrix/client/v3/login/sso/redirect?redirectUrl=" + url.QueryEscape("https://client.example/sso-done"))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("SSO redirect: %d\n%s", res.Status, res.Body)
	}
	page := b.Get(res.Location)
	if page.Status != http.StatusOK {
		t.Fatalf("SSO completion page: %d\n%s", page.Status, page.Body)
	}
	res = b.Post(page.URL.String(), url.Values{"csrf": {browsertest.CSRFOf(t, page)}})
	done, err := url.Parse(res.Location)
	if res.Status != http.StatusSeeOther || err != nil || done.Query().Get("loginToken") == "" {
		t.Fatalf("SSO approval: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	body, _ := json.Marshal(map[string]string{"type": "m.login.token", "token": done.Query().Get("loginToken")})
	resp, err := http.Post(f.URL("/_matrix/client/v3/login"), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("token login: %d %s", resp.StatusCode, out)
	}
}

// TestUpstreamBackchannelLogout: when the user signs out at Panva, Panva
// posts a logout token and the service, per on_backchannel_logout, ends
// the browser session the provider session signed in (logout_browser_only),
// also the sessions started from it (logout_all: here a legacy SSO
// login), or nothing (do_nothing). A logout token is acted on once.
func TestUpstreamBackchannelLogout(t *testing.T) {
	idBrowser, idAll, idNothing := flowID(41), flowID(42), flowID(43)
	action := func(prefix string, a config.OnBackchannelLogout) func(p *config.UpstreamProvider) {
		return func(p *config.UpstreamProvider) {
			mapProfile(prefix, false)(p)
			p.ClaimsImports.SkipConfirmation = true
			p.OnBackchannelLogout = a
		}
	}
	backends(t, func(t *testing.T, postgres bool) {
		rec := newLogoutRecorder(t)
		f := newFlowEnv(t, flowOptions{
			postgres:  postgres,
			op:        oidctest.Config{BackchannelLogout: true},
			logoutURI: rec.uri,
			providers: []flowProvider{
				{id: idBrowser, edit: action("browser-", config.BackchannelLogoutBrowserOnly)},
				{id: idAll, edit: action("all-", config.BackchannelLogoutAll)},
				{id: idNothing, edit: action("nothing-", config.BackchannelDoNothing)},
			},
		})
		ctx := context.Background()
		for _, tc := range []struct {
			action                  config.OnBackchannelLogout
			provider, localpart     string
			browserEnds, compatEnds bool
		}{
			{config.BackchannelLogoutBrowserOnly, idBrowser, "browser-alice", true, false},
			{config.BackchannelLogoutAll, idAll, "all-alice", true, true},
			{config.BackchannelDoNothing, idNothing, "nothing-alice", false, false},
		} {
			t.Run(string(tc.action), func(t *testing.T) {
				b := f.browser(t)
				res := f.signIn(t, b, tc.provider, oidctest.Alice)
				if final, _ := f.follow(b, res); final.Status != http.StatusOK {
					t.Fatalf("signing in: %d at %s\n%s", final.Status, final.URL, final.Body)
				}
				wantSignedIn(t, b, tc.localpart)
				user := f.user(t, tc.localpart)
				f.compatSSOLogin(t, b)
				compat, err := f.App.Store.CompatSessions().ListActiveForUser(ctx, user.ID)
				if err != nil || len(compat) != 1 || compat[0].BrowserSessionID == nil {
					t.Fatalf("compat sessions %+v, %v", compat, err)
				}

				f.op.Logout(t, b.Client)
				got := rec.delivered(tc.provider)
				if len(got) != 1 || got[0].status != http.StatusOK {
					t.Fatalf("logout tokens delivered: %+v, want one accepted", got)
				}
				want := tc.localpart
				if tc.browserEnds {
					want = ""
				}
				wantSignedIn(t, b, want)
				s, err := f.App.Store.CompatSessions().Lookup(ctx, compat[0].ID)
				if err != nil || s.Active() == tc.compatEnds {
					t.Errorf("compat session %+v (%v): ended %v, want %v", s, err, s != nil && !s.Active(), tc.compatEnds)
				}

				// The same token again is a replay.
				resp, err := http.PostForm(f.URL("/upstream/backchannel-logout/"+tc.provider), url.Values{"logout_token": {got[0].token}})
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "already used") {
					t.Errorf("replayed logout token: %d %s", resp.StatusCode, body)
				}
			})
		}
	})
}
