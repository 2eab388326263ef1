package oidctest_test

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"mas/internal/upstream/oidctest"
)

func TestZitadelDiscovery(t *testing.T) {
	t.Parallel()
	p := oidctest.Zitadel(t, oidctest.Config{})
	doc := discovery(t, p)
	if doc["authorization_endpoint"] != p.Issuer()+"/auth" || doc["userinfo_endpoint"] == nil {
		t.Errorf("discovery %v", doc)
	}
}

func TestZitadelCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	basic, post := webClient("z-basic"), webClient("z-post")
	post.AuthMethod = "client_secret_post"
	p := oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{basic, post}})
	users := p.Users()
	if len(users) != 2 || users[0].Username != "test-user@127.0.0.1" || users[1].Username != "test-user2" {
		t.Fatalf("users %v: want the example's test-user@127.0.0.1 and test-user2", users)
	}
	for _, c := range []oidctest.Client{basic, post} {
		t.Run(c.ID, func(t *testing.T) {
			for _, u := range users {
				r := flow{client: c, username: u.Username, password: oidctest.ZitadelPassword}.run(t, p)
				checkClaims(t, p, u.Username, r, false)
			}
		})
	}
	authz := p.AuthorizeRequests()
	if len(authz) != 4 || authz[0].Get("code_challenge_method") != "S256" {
		t.Errorf("authorization requests %v: want four with an S256 challenge", authz)
	}
}

func TestZitadelConformIDTokenClaims(t *testing.T) {
	t.Parallel()
	c := webClient("z-conform")
	p := oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{c}, ConformIDTokenClaims: true})
	u := p.Users()[0]
	r := flow{client: c, username: u.Username, password: u.Password}.run(t, p)
	checkClaims(t, p, u.Username, r, true)
}

func TestZitadelCustomUsers(t *testing.T) {
	t.Parallel()
	c := webClient("z-users")
	p := oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{c}, Users: oidctest.DefaultUsers()})
	for _, name := range []string{"alice", "bob"} {
		r := flow{client: c, username: name, password: name + "-password"}.run(t, p)
		checkClaims(t, p, name, r, false)
	}
	bob := p.Claims("bob")
	if _, ok := bob["email_verified"]; ok || bob["locale"] != "en" || bob["name"] != "Bob Marley" {
		t.Errorf("bob's claims %v: want no email_verified, locale en", bob)
	}
}

func TestZitadelFormPost(t *testing.T) {
	t.Parallel()
	c := webClient("z-form-post")
	p := oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{c}})
	u := p.Users()[1]
	r := flow{client: c, username: u.Username, password: u.Password,
		authParams: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_mode", "form_post")}}.run(t, p)
	if cb := r.callback; cb.Method != http.MethodPost || cb.URL.String() != redirectURI || cb.Form.Get("code") == "" {
		t.Errorf("callback %s %s %v: want a POST of the code to the redirect URI", cb.Method, cb.URL, cb.Form)
	}
}

func TestZitadelRefusesWrongPassword(t *testing.T) {
	t.Parallel()
	c := webClient("z-refuse")
	p := oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{c}})
	_, err := p.Authorize(browser(t), authURLFor(p, c), "test-user2", "wrong")
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("wrong password: %v, want a refusal", err)
	}
}
