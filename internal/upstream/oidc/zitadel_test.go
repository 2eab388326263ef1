package oidc

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

const zitadelRedirect = "https://mas.example.test/upstream/callback/zitadel"

// startZitadel runs the zitadel/oidc example provider (a certified
// implementation) in-process on 127.0.0.1 with one web client, mas /
// secret, authenticating with client_secret_basic. Its client registry
// is our own map, not the package's global one.
func startZitadel(t *testing.T) (issuer string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer = "http://" + srv.Listener.Addr().String()
	clients := map[string]*storage.Client{"mas": storage.WebClient("mas", "secret", zitadelRedirect)}
	st := storage.NewStorageWithClients(storage.NewUserStore(issuer), clients)
	srv.Config.Handler = exampleop.SetupServer(issuer, st, nil, false)
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer
}

var zitadelAuthRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// TestZitadelExampleProvider logs in at the zitadel example provider the
// way a browser does: our authorization URL, its login form, the redirect
// back with a code; then Exchange redeems the code and validates the ID
// token and userinfo.
func TestZitadelExampleProvider(t *testing.T) {
	issuer := startZitadel(t)
	p, err := New(Options{
		ID: "zitadel", Issuer: issuer,
		// The example serves plain http: oidc mode refuses it (below).
		DiscoveryMode: DiscoveryInsecure,
		ClientID:      "mas", ClientSecret: "secret", TokenEndpointAuthMethod: AuthClientSecretBasic,
		Scope: "openid profile email", FetchUserinfo: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	authURL, session, err := p.AuthorizationURL(t.Context(), zitadelRedirect, url.Values{"login_hint": {"test-user@127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if session.CodeVerifier == "" {
		t.Error("the example advertises S256: pkce_method auto should use it")
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), zitadelRedirect) {
			return http.ErrUseLastResponse // the callback is ours: stop there
		}
		return nil
	}}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := zitadelAuthRequestID.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("login page: HTTP %d\n%s", resp.StatusCode, page)
	}
	resp, err = browser.PostForm(issuer+"/login/username", url.Values{
		"username": {"test-user@127.0.0.1"}, "password": {"verysecure"}, "id": {string(m[1])},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), zitadelRedirect) {
		t.Fatalf("after login: HTTP %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	cb, err := p.ParseCallback(loc.Query())
	if err != nil {
		t.Fatal(err)
	}
	if cb.State != session.State {
		t.Fatalf("state %q, sent %q", cb.State, session.State)
	}
	res, err := p.Exchange(t.Context(), session, cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subject != "id1" || res.IDTokenClaims["iss"] != issuer || res.IDTokenClaims["nonce"] != session.Nonce {
		t.Errorf("ID token claims %v", res.IDTokenClaims)
	}
	if user := userClaims(res); user["email"] != "test-user@zitadel.ch" || user["email_verified"] != true || res.Userinfo["sub"] != "id1" {
		t.Errorf("claims %v", user)
	}

	// The same provider in discovery_mode oidc: plain http is refused.
	strict, err := New(Options{ID: "zitadel", Issuer: issuer, ClientID: "mas", ClientSecret: "secret", TokenEndpointAuthMethod: AuthClientSecretBasic})
	if err != nil {
		t.Fatal(err)
	}
	_, err = strict.Metadata(t.Context())
	wantKind(t, err, KindBadMetadata)
}
