package oidctest

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"mas/internal/logtest"
)

// Provider is a running OpenID provider.
type Provider struct {
	// Kind is "panva" or "zitadel".
	Kind    string
	issuer  string
	clients []Client
	users   []User
	log     logtest.Buffer

	mu         sync.Mutex
	authorizes []url.Values
}

// Issuer is the issuer identifier, without a trailing slash; discovery is
// at Issuer()+"/.well-known/openid-configuration".
func (p *Provider) Issuer() string { return p.issuer }

// Client returns the registered client with this ID.
func (p *Provider) Client(id string) (Client, bool) {
	for _, c := range p.clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

// Users are the accounts as the provider knows them: their Claims are
// exactly what it gives.
func (p *Provider) Users() []User { return append([]User(nil), p.users...) }

// User returns the account whose login name is username.
func (p *Provider) User(username string) (User, bool) {
	for _, u := range p.users {
		if u.Username == username {
			return u, true
		}
	}
	return User{}, false
}

// AuthorizeRequests are the query parameters of each authorization request
// the provider received, oldest first: what a test checks for PKCE,
// login_hint, response_mode or additional parameters.
func (p *Provider) AuthorizeRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.authorizes...)
}

func (p *Provider) recordAuthorize(q url.Values) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.authorizes = append(p.authorizes, q)
}

// Log is what the provider has printed so far.
func (p *Provider) Log() string { return p.log.String() }

// logOnFailure prints the provider's output when the test has failed.
func (p *Provider) logOnFailure(t testing.TB) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s provider at %s printed:\n%s", p.Kind, p.issuer, p.tail(200))
		}
	})
}

// tail is the last n lines of the provider's output.
func (p *Provider) tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.log.String(), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"[… earlier lines cut …]"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Claims are exactly the claims the provider gives for the user whose
// login name is username, with the scopes openid, profile and email: in
// userinfo, and in the ID token too unless Config.ConformIDTokenClaims
// (the ID token adds its protocol claims: iss, aud, exp, iat, nonce...).
func (p *Provider) Claims(username string) map[string]any {
	u, ok := p.User(username)
	if !ok {
		return nil
	}
	c := u.Claims()
	if p.Kind == "zitadel" && !u.EmailVerified {
		delete(c, "email_verified") // its email_verified is omitempty
	}
	return c
}
