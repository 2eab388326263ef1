package oidctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// Logout ends the browser's session at the provider as a person signing
// out there would: its end_session_endpoint without a client, confirmed on
// the provider's own page. With Config.BackchannelLogout, Panva then posts
// a logout token to the BackchannelLogoutURI of every client the session
// logged in to, before Logout returns.
func (p *Provider) Logout(t testing.TB, client *http.Client) {
	t.Helper()
	end, err := p.endSessionEndpoint()
	if err == nil {
		_, _, err = p.walk(client, end, nil)
	}
	if err != nil {
		t.Fatalf("oidctest: %s logout: %v", p.Kind, err)
	}
}

func (p *Provider) endSessionEndpoint() (string, error) {
	res, err := http.Get(p.issuer + "/.well-known/openid-configuration")
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var doc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		return "", err
	}
	if doc.EndSession == "" {
		return "", fmt.Errorf("no end_session_endpoint in the discovery document")
	}
	return doc.EndSession, nil
}
