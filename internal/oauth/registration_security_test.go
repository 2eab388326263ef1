package oauth

import (
	"net/http"
	"testing"
)

// TestRegistrationWithoutPolicyStillChecksRedirectURIs: a Handler built
// without a policy engine applies the client_registration rules without
// data, like every other policy decision, instead of accepting any
// redirect URI from anyone on the open registration endpoint.
func TestRegistrationWithoutPolicyStillChecksRedirectURIs(t *testing.T) {
	e := newRegEnv(t)
	e.h.Policy = nil
	for _, body := range []string{
		// Plain http on a foreign host, no client_uri.
		`{'redirect_uris': ['http://attacker.example/cb'], 'token_endpoint_auth_method': 'none'}`,
		// Redirect URI on another host than the client_uri.
		`{'client_uri': 'https://client.example/', 'redirect_uris': ['https://attacker.example/cb'], 'token_endpoint_auth_method': 'none'}`,
	} {
		res := e.register(body)
		if res.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", body, res.status, res.body)
		}
	}
	// A registration the rules accept still goes through.
	res := e.register(`{'client_uri': 'https://client.example/', 'redirect_uris': ['https://client.example/cb'], 'token_endpoint_auth_method': 'none'}`)
	if res.status != http.StatusCreated {
		t.Errorf("valid registration: %d %s", res.status, res.body)
	}
}
