package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// docsBase is where upstream documents the setup; the configuration is
// the same, so its pages apply.
const docsBase = "https://element-hq.github.io/matrix-authentication-service"

// invalidToken is sent to whoami: no token format of this service
// resembles it, so the only right answer is "not active".
const invalidToken = "mas_doctor_deliberately_invalid_token"

// secretPlaceholder stands for the shared secret in configuration
// snippets: the output often ends up in logs and support requests.
const secretPlaceholder = "<the value of matrix.secret>"

// Compatibility login flow markers this service sets on its m.login.sso
// flow, and that Synapse's own login API never sets.
const (
	flowOAuthAware     = "oauth_aware_preferred"
	flowMSC3824Compat  = "org.matrix.msc3824.delegated_oidc_compatibility"
	flowTypeSSO        = "m.login.sso"
	apiVersions        = "_matrix/client/versions"
	apiWhoami          = "_matrix/client/v3/account/whoami"
	apiLogin           = "_matrix/client/v3/login"
	apiLocalpartAvail  = "_synapse/mas/is_localpart_available"
	wellKnownClientDoc = ".well-known/matrix/client"
)

// checkIssuer: clients may refuse an issuer that is not HTTPS.
func (d *doctor) checkIssuer() {
	if strings.HasPrefix(d.issuer, "https://") {
		d.out.pass("The issuer " + d.issuer + " is an HTTPS URL")
		return
	}
	d.out.warn("The issuer in the configuration (http.issuer, else http.public_base) is not an HTTPS URL: "+d.issuer,
		"Some clients refuse to use an issuer that is not served over HTTPS.",
		"Set http.public_base (or http.issuer) to the https:// URL clients reach this service at.")
}

// checkWellKnown fetches the client well-known document of the server
// name. Problems are warnings only: the homeserver may be discovered some
// other way. It returns the public C-S API base URL it names, if any.
func (d *doctor) checkWellKnown(ctx context.Context) *url.URL {
	target := join(d.wellKnown, wellKnownClientDoc)
	where := target.Redacted()
	serve := []string{
		fmt.Sprintf("Clients that only know the server name %q cannot find the homeserver.", d.serverName),
		"Make sure the homeserver is running and that " + where + " returns a JSON document like:",
		"",
		`  {"m.homeserver": {"base_url": "https://<public URL of the homeserver>/"}}`,
		"",
		"See " + docsBase + "/setup/homeserver.html",
	}

	resp, err := d.get(ctx, target, "")
	if err != nil {
		d.out.warn("Could not fetch the client well-known document at "+where+": "+err.Error(), serve...)
		return nil
	}
	if resp.status < 200 || resp.status > 299 {
		d.out.warn("The client well-known document at "+where+" answered "+status(resp.status)+", expected 2xx",
			append(redirectedHint(target, resp), serve...)...)
		return nil
	}
	var doc struct {
		Homeserver *struct {
			BaseURL any `json:"base_url"`
		} `json:"m.homeserver"`
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		d.out.warn("The client well-known document at "+where+" is not valid JSON: "+err.Error(),
			append(redirectedHint(target, resp), serve...)...)
		return nil
	}
	if doc.Homeserver == nil || doc.Homeserver.BaseURL == nil {
		d.out.warn("The client well-known document at "+where+" has no m.homeserver.base_url",
			append(redirectedHint(target, resp), serve...)...)
		return nil
	}
	raw, _ := doc.Homeserver.BaseURL.(string)
	base, err := baseURL(raw)
	if err != nil {
		d.out.warn("The client well-known document at "+where+" has an unusable m.homeserver.base_url: "+err.Error(),
			append(redirectedHint(target, resp), serve...)...)
		return nil
	}
	d.out.pass("The client well-known document at " + where + " points clients to " + base.Redacted())
	return base
}

// matrixHint is the `matrix` section the reachability checks depend on.
func (d *doctor) matrixHint() []string {
	return []string{
		"Make sure the homeserver is running and that the `matrix` section of this service's configuration points at it:",
		"",
		"  matrix:",
		fmt.Sprintf("    homeserver: %q", d.serverName),
		"    # The homeserver's client-server API, as reachable from this service:",
		fmt.Sprintf("    endpoint: %q", d.endpoint.Redacted()),
		"",
		"See " + docsBase + "/setup/homeserver.html",
	}
}

// checkReachable: the C-S API answers at matrix.endpoint. The checks that
// need the homeserver only run when it does.
func (d *doctor) checkReachable(ctx context.Context) bool {
	target := join(d.endpoint, apiVersions)
	where := target.Redacted()
	resp, err := d.get(ctx, target, "")
	if err != nil {
		d.out.fail("Cannot reach the homeserver at "+where+": "+err.Error(), d.matrixHint()...)
		return false
	}
	if resp.status < 200 || resp.status > 299 {
		d.out.fail("The homeserver at "+where+" answered "+status(resp.status)+", expected 2xx",
			append(redirectedHint(target, resp), d.matrixHint()...)...)
		return false
	}
	d.out.pass("Homeserver is reachable at " + where)
	return true
}

// checkTokenRejected sends an invalid token to whoami. A homeserver that
// delegates auth asks this service to introspect it and must answer 401;
// a 503 means it could not get an answer from this service.
func (d *doctor) checkTokenRejected(ctx context.Context) {
	target := join(d.endpoint, apiWhoami)
	where := target.Redacted()
	resp, err := d.get(ctx, target, invalidToken)
	if err != nil {
		d.out.fail("Cannot reach the homeserver at "+where+": "+err.Error(), d.matrixHint()...)
		return
	}
	code := resp.status
	switch {
	case code == http.StatusUnauthorized:
		d.out.pass("The homeserver at " + where + " correctly rejected an invalid access token")
	case code < 400:
		d.out.fail("The homeserver at "+where+" answered "+status(code)+" to an invalid access token",
			append(redirectedHint(target, resp),
				"This is highly unexpected: it may have accepted a made-up token.",
				"Make sure the homeserver delegates authentication to this service",
				"(matrix_authentication_service.enabled in Synapse) and that nothing else answers for this URL.")...)
	case code == http.StatusServiceUnavailable:
		d.out.fail("The homeserver at "+where+" answered "+status(code)+
			": it was unable to reach the authentication service to validate the token",
			append(redirectedHint(target, resp),
				"Make sure this service is running and reachable from the homeserver at the URL in",
				"matrix_authentication_service.endpoint, and that both use the same shared secret",
				"(a wrong secret makes the homeserver's token validation fail too).",
				"Check the homeserver logs. This is what the homeserver said:",
				"",
				indent(excerpt(resp.body), "    "),
				"",
				"See "+docsBase+"/setup/homeserver.html")...)
	default:
		d.out.warn("The homeserver at "+where+" answered "+status(code)+" to an invalid access token, expected 401 Unauthorized",
			append(redirectedHint(target, resp),
				"Check that the homeserver is running and look at its logs.")...)
	}
}

// secretHint shows both halves of the shared-secret setup. The secret
// itself is never printed.
func (d *doctor) secretHint() []string {
	return []string{
		"In the homeserver configuration (Synapse 1.136 or later, homeserver.yaml):",
		"",
		"  matrix_authentication_service:",
		"    enabled: true",
		"    # This service's URL, as reachable from the homeserver:",
		fmt.Sprintf("    endpoint: %q", d.issuer),
		"    # Exactly the shared secret of this service's configuration:",
		fmt.Sprintf("    secret: %q", secretPlaceholder),
		"",
		"And in this service's configuration:",
		"",
		"  matrix:",
		fmt.Sprintf("    homeserver: %q", d.serverName),
		fmt.Sprintf("    endpoint: %q", d.endpoint.Redacted()),
		"    # The same secret as in the homeserver configuration (or use secret_file):",
		fmt.Sprintf("    secret: %q", "<the shared secret>"),
		"",
		"See " + docsBase + "/setup/homeserver.html",
	}
}

// checkSharedSecret calls a /_synapse/mas endpoint without its required
// parameter: the homeserver checks the secret first, so 400 proves the
// secret was accepted without touching any user.
func (d *doctor) checkSharedSecret(ctx context.Context) {
	target := join(d.endpoint, apiLocalpartAvail)
	where := target.Redacted()
	resp, err := d.get(ctx, target, d.secret)
	if err != nil {
		d.out.fail("Cannot reach the homeserver's MAS API at "+where+": "+err.Error(), d.secretHint()...)
		return
	}
	hints := append(redirectedHint(target, resp), d.secretHint()...)
	switch resp.status {
	case http.StatusBadRequest:
		d.out.pass("The homeserver accepted the shared secret (matrix.secret) at " + where)
	case http.StatusForbidden:
		d.out.fail("The homeserver at "+where+" rejected the shared secret: "+
			"matrix.secret does not match the homeserver's matrix_authentication_service.secret", hints...)
	case http.StatusNotFound:
		d.out.fail("The homeserver at "+where+" answered 404 Not Found: "+
			"the MAS integration is not enabled on the homeserver (matrix_authentication_service.enabled)", hints...)
	default:
		d.out.fail("The homeserver at "+where+" answered "+status(resp.status)+" when checking the shared secret, expected 400 Bad Request",
			hints...)
	}
}

// proxyHint explains the reverse-proxy rule that sends the compatibility
// API to this service.
var proxyHint = []string{
	"Clients using the legacy (non-OAuth) Matrix login cannot log in.",
	"Make sure this service is running, and that the reverse proxy in front of the homeserver",
	"sends these paths to this service (its `compat` resource) instead of to the homeserver:",
	"",
	"  /_matrix/client/*/login",
	"  /_matrix/client/*/logout",
	"  /_matrix/client/*/refresh",
	"",
	"See " + docsBase + "/setup/reverse-proxy.html",
}

// checkCompatLogin fetches the login flows where clients find them (the
// well-known's base URL, else matrix.endpoint). Only this service marks its
// SSO flow as the OAuth-aware one, which tells who answered.
func (d *doctor) checkCompatLogin(ctx context.Context, discovered *url.URL) {
	base := d.endpoint
	if discovered != nil {
		base = discovered
	}
	target := join(base, apiLogin)
	where := target.Redacted()
	resp, err := d.get(ctx, target, "")
	if err != nil {
		d.out.warn("Cannot reach the legacy login API at "+where+": "+err.Error(), proxyHint...)
		return
	}
	if resp.status < 200 || resp.status > 299 {
		d.out.fail("The legacy login API at "+where+" answered "+status(resp.status)+", expected 2xx",
			append(redirectedHint(target, resp), proxyHint...)...)
		return
	}
	if !servedByUs(resp.body) {
		d.out.warn("The legacy login API at "+where+" is reachable but does not look handled by this service",
			append(redirectedHint(target, resp), proxyHint...)...)
		return
	}
	d.out.pass("The legacy login API at " + where + " is handled by this service")
}

// servedByUs looks for an m.login.sso flow carrying one of this service's
// markers. Anything unparsable is "not ours".
func servedByUs(body []byte) bool {
	var doc struct {
		Flows []map[string]any `json:"flows"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	for _, f := range doc.Flows {
		if f["type"] != flowTypeSSO {
			continue
		}
		if f[flowOAuthAware] == true || f[flowMSC3824Compat] == true {
			return true
		}
	}
	return false
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// checkUnserved warns about resources the configuration lists that this
// version does not serve, so that an operator is not surprised by their
// 404s.
func (d *doctor) checkUnserved(unserved []Unserved) {
	for _, u := range unserved {
		d.out.warn(fmt.Sprintf("The listener %q lists the %q resource, which this version does not serve: %s answer 404",
			u.Listener, u.Resource, strings.Join(u.Paths, ", ")),
			"Matrix clients do not need it. Remove it from http.listeners to silence this warning.")
	}
}
