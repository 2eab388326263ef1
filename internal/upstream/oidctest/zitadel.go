package oidctest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// ZitadelPassword is the password of the example's own users.
const ZitadelPassword = "verysecure"

// Zitadel runs the zitadel/oidc example provider in-process on 127.0.0.1
// with cfg and stops it when the test ends. Without cfg.Users its users
// are the example's own (ZitadelUsers): test-user@127.0.0.1 and
// test-user2, both with the password "verysecure". Its login form is POST
// /login/username (username, password, id); it has no consent step.
//
// What it cannot do fails the test: client authentication other than
// client_secret_basic and client_secret_post (its clients accept both),
// ID tokens signed other than with RS256, RequirePKCE, NoUserinfo,
// BackchannelLogout, ConsentForm and Extra claims.
func Zitadel(t testing.TB, cfg Config) *Provider {
	t.Helper()
	checkZitadelConfig(t, cfg)
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	p := &Provider{Kind: "zitadel", issuer: issuer, clients: cfg.Clients}
	p.logOnFailure(t)

	var users storage.UserStore
	if cfg.Users == nil {
		users = storage.NewUserStore(issuer)
		p.users = ZitadelUsers(issuer)
	} else {
		users, p.users = zitadelUserStore(t, cfg.Users)
	}
	clients := map[string]*storage.Client{}
	for _, c := range cfg.Clients {
		clients[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
	}
	st := &zitadelStorage{Storage: storage.NewStorageWithClients(users, clients), claimsInIDToken: !cfg.ConformIDTokenClaims}
	// A nil logger leaves the process's default logger alone.
	router := exampleop.SetupServer(issuer, st, nil, false)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			p.recordAuthorize(r.URL.Query())
		}
		router.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

func checkZitadelConfig(t testing.TB, cfg Config) {
	t.Helper()
	for _, c := range cfg.Clients {
		switch c.AuthMethod {
		case "", "client_secret_basic", "client_secret_post":
		default:
			t.Fatalf("oidctest: the zitadel example provider does not take token_endpoint_auth_method %q (client %s)", c.AuthMethod, c.ID)
		}
		if c.IDTokenSigningAlg != "" && c.IDTokenSigningAlg != "RS256" {
			t.Fatalf("oidctest: the zitadel example provider signs with RS256 only, not %s (client %s)", c.IDTokenSigningAlg, c.ID)
		}
		if c.BackchannelLogoutURI != "" {
			t.Fatalf("oidctest: the zitadel example provider has no back-channel logout (client %s)", c.ID)
		}
		if len(c.JWKS) > 0 || c.JWKSURI != "" {
			t.Fatalf("oidctest: the zitadel example provider takes no client keys (client %s)", c.ID)
		}
	}
	for _, u := range cfg.Users {
		if len(u.Extra) > 0 {
			t.Fatalf("oidctest: the zitadel example provider gives no extra claims (user %s)", u.Username)
		}
	}
	if cfg.RequirePKCE || cfg.NoUserinfo || cfg.BackchannelLogout || cfg.ConsentForm {
		t.Fatalf("oidctest: the zitadel example provider has no RequirePKCE, NoUserinfo, BackchannelLogout or ConsentForm")
	}
}

// ZitadelUsers are the example's own users, as they are at issuer: the
// first one's username names the issuer's host.
func ZitadelUsers(issuer string) []User {
	host := strings.Split(strings.TrimPrefix(strings.TrimPrefix(issuer, "http://"), "https://"), ":")[0]
	return []User{
		{
			Subject: "id1", Username: "test-user@" + host, Password: ZitadelPassword,
			Name: "Test User", GivenName: "Test", FamilyName: "User",
			Email: "test-user@zitadel.ch", EmailVerified: true, Extra: map[string]any{"locale": "de"},
		},
		{
			Subject: "id2", Username: "test-user2", Password: ZitadelPassword,
			Name: "Test User2", GivenName: "Test", FamilyName: "User2",
			Email: "test-user2@zitadel.ch", EmailVerified: true, Extra: map[string]any{"locale": "de"},
		},
	}
}

// zitadelUserStore gives the example our users, through its own file
// format, and returns them as it will show them: name is always
// "given family", locale is "en", and a false email_verified is left out.
func zitadelUserStore(t testing.TB, users []User) (storage.UserStore, []User) {
	t.Helper()
	byID := map[string]*storage.User{}
	shown := make([]User, 0, len(users))
	for _, u := range users {
		if u.GivenName == "" && u.FamilyName == "" {
			i := strings.LastIndex(u.Name, " ")
			u.GivenName, u.FamilyName = u.Name[i+1:], ""
			if i >= 0 {
				u.GivenName, u.FamilyName = u.Name[:i], u.Name[i+1:]
			}
		}
		u.Name = u.GivenName + " " + u.FamilyName
		u.Extra = map[string]any{"locale": "en"}
		byID[u.Subject] = &storage.User{
			ID: u.Subject, Username: u.Username, Password: u.Password,
			FirstName: u.GivenName, LastName: u.FamilyName,
			Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English,
		}
		shown = append(shown, u)
	}
	data, err := json.Marshal(byID)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "zitadel-users.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := storage.StoreFromFile(path)
	if err != nil {
		t.Fatalf("oidctest: zitadel users: %v", err)
	}
	return store, shown
}

// zitadelStorage is the example's storage with one client setting of
// zitadel's own switched on: the profile and email claims in the ID token
// (idTokenUserinfoClaimsAssertion).
type zitadelStorage struct {
	*storage.Storage
	claimsInIDToken bool
}

func (s *zitadelStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || !s.claimsInIDToken {
		return c, err
	}
	return claimsInIDToken{c}, nil
}

type claimsInIDToken struct{ op.Client }

func (claimsInIDToken) IDTokenUserinfoClaimsAssertion() bool { return true }
