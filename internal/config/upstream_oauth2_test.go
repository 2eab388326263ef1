package config

import (
	"strings"
	"testing"
)

// upstreamYAML is a providers section with one provider per entry, each
// entry the provider's keys (indented for a list item) after its id.
func upstreamYAML(entries ...string) string {
	ids := []string{"01HFVBY12TMNTYTBV8W921M5FA", "01HFVBY12TMNTYTBV8W921M5FB", "01HFVBY12TMNTYTBV8W921M5FC"}
	var b strings.Builder
	b.WriteString("upstream_oauth2:\n  providers:\n")
	for i, e := range entries {
		b.WriteString("    - id: " + ids[i] + "\n      client_id: c\n" + e)
	}
	return b.String()
}

// With discovery disabled, the endpoints the flow cannot find elsewhere
// are required, each reported at its own path; the JWKS only when an ID
// token is asked for, userinfo only when it is fetched.
func TestValidateUpstreamEndpointsWithoutDiscovery(t *testing.T) {
	err := validateYAML(t, upstreamYAML(
		"      token_endpoint_auth_method: none\n      discovery_mode: disabled\n      fetch_userinfo: true\n",
		// No openid in the scope: no ID token, no JWKS needed.
		"      token_endpoint_auth_method: none\n      discovery_mode: disabled\n      scope: 'read:user'\n"+
			"      authorization_endpoint: https://a/authorize\n      token_endpoint: https://a/token\n",
	))
	for _, key := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"} {
		wantProblem(t, err, "upstream_oauth2.providers[0]."+key, "required when discovery is disabled")
	}
	for _, p := range problemsOf(t, err) {
		if strings.HasPrefix(p.Path, "upstream_oauth2.providers[1]") {
			t.Errorf("complete provider without openid reported: %v", p)
		}
	}

	// Discovery on: nothing required, the issuer is.
	err = validateYAML(t, upstreamYAML("      token_endpoint_auth_method: none\n      issuer: https://a/\n      fetch_userinfo: true\n"))
	if err != nil {
		t.Errorf("provider with discovery: %v", err)
	}
	// Disabled discovery needs no issuer.
	err = validateYAML(t, upstreamYAML("      token_endpoint_auth_method: none\n      discovery_mode: disabled\n"+
		"      authorization_endpoint: https://a/authorize\n      token_endpoint: https://a/token\n      jwks_uri: https://a/jwks\n"))
	if err != nil {
		t.Errorf("complete provider without discovery: %v", err)
	}
}

// The client assertion algorithm must fit the method's kind of key.
func TestValidateUpstreamSigningAlgFamily(t *testing.T) {
	err := validateYAML(t, upstreamYAML(
		"      issuer: https://a/\n      token_endpoint_auth_method: client_secret_jwt\n      client_secret: s\n      token_endpoint_auth_signing_alg: RS256\n",
		"      issuer: https://a/\n      token_endpoint_auth_method: private_key_jwt\n      token_endpoint_auth_signing_alg: HS256\n",
		"      issuer: https://a/\n      token_endpoint_auth_method: private_key_jwt\n      token_endpoint_auth_signing_alg: ES256\n",
	))
	wantProblem(t, err, "upstream_oauth2.providers[0].token_endpoint_auth_signing_alg", "client_secret_jwt needs HS256, HS384 or HS512")
	wantProblem(t, err, "upstream_oauth2.providers[1].token_endpoint_auth_signing_alg", "not a public-key algorithm")
	if ps := problemsOf(t, err); len(ps) != 2 {
		t.Errorf("problems = %v, want exactly the two above", ps)
	}
}

// Enumerations are checked when the file is read, each at its path, all
// reported at once.
func TestLoadUpstreamEnums(t *testing.T) {
	_, err := LoadBytes("test.yaml", []byte(minimal+upstreamYAML(
		"      issuer: https://a/\n      token_endpoint_auth_method: basic\n      discovery_mode: strict\n"+
			"      pkce_method: sometimes\n      response_mode: fragment\n      on_backchannel_logout: logout\n"+
			"      claims_imports: {localpart: {action: maybe, on_conflict: merge}, email: {set_email_verification: perhaps}}\n",
	)))
	for _, path := range []string{
		"token_endpoint_auth_method", "discovery_mode", "pkce_method", "response_mode", "on_backchannel_logout",
		"claims_imports.localpart.action", "claims_imports.localpart.on_conflict", "claims_imports.email.set_email_verification",
	} {
		wantProblem(t, err, "upstream_oauth2.providers[0]."+path, "unknown value")
	}
}

// Every provider rule reports at its provider's path, and one run reports
// the problems of every provider.
func TestValidateUpstreamReportsEveryProvider(t *testing.T) {
	err := validateYAML(t, upstreamYAML(
		"      token_endpoint_auth_method: client_secret_basic\n",
		"      issuer: https://a/\n      token_endpoint_auth_method: sign_in_with_apple\n"+
			"      claims_imports: {skip_confirmation: true, localpart: {action: suggest, on_conflict: replace}, displayname: {action: suggest}}\n",
	))
	for _, want := range []struct{ path, msg string }{
		{"upstream_oauth2.providers[0].issuer", "The `issuer` field is required when discovery is enabled"},
		{"upstream_oauth2.providers[0].client_secret", "required (or client_secret_file) for the client_secret_basic method"},
		{"upstream_oauth2.providers[1].sign_in_with_apple", "required for the sign_in_with_apple method"},
		{"upstream_oauth2.providers[1].claims_imports.localpart.on_conflict", "`replace` requires localpart.action to be `force` or `require`"},
		{"upstream_oauth2.providers[1].claims_imports.skip_confirmation", "requires localpart.action to be `require`"},
		{"upstream_oauth2.providers[1].claims_imports.skip_confirmation", "requires displayname.action"},
	} {
		wantProblem(t, err, want.path, want.msg)
	}
}
