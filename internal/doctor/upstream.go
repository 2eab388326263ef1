package doctor

import (
	"context"
	"encoding/json"
	"fmt"
)

// Provider is an enabled upstream provider that uses discovery; the doctor
// fetches its discovery document.
type Provider struct {
	ID   string
	Name string // human_name, may be empty
	// Issuer is the configured issuer; the document is looked up under it.
	Issuer string
	// Insecure is discovery_mode: insecure, where the login flow tolerates
	// an issuer mismatch: a warning instead of a failure.
	Insecure bool
}

func (p Provider) label() string {
	if p.Name == "" {
		return "Upstream provider " + p.ID
	}
	return fmt.Sprintf("Upstream provider %s (%s)", p.Name, p.ID)
}

const discoveryDoc = ".well-known/openid-configuration"

// providersDocs is where upstream documents upstream providers.
const providersDocs = docsBase + "/setup/sso.html"

// checkProviders (ours): each provider's discovery document is served
// and names the configured issuer, without which nobody can log in with
// it.
func (d *doctor) checkProviders(ctx context.Context, providers []Provider) {
	for _, p := range providers {
		d.checkProvider(ctx, p)
	}
}

func (d *doctor) checkProvider(ctx context.Context, p Provider) {
	label := p.label()
	base, err := baseURL(p.Issuer)
	if err != nil {
		d.out.fail(label+": the issuer is not usable: "+err.Error(),
			"Set upstream_oauth2.providers[].issuer to the provider's issuer URL.", "See "+providersDocs)
		return
	}
	// Like OpenID Connect Discovery: the issuer's path, then the document.
	target := join(base, discoveryDoc)
	where := target.Redacted()
	unreachable := []string{
		"Nobody can log in with this provider until this service can fetch that document.",
		"Check the issuer (it must be the provider's exact issuer URL) and that this machine",
		"reaches the provider (DNS, firewall, outgoing proxy).",
		"If the provider has no discovery document, set discovery_mode: disabled and configure",
		"authorization_endpoint, token_endpoint and jwks_uri.",
		"See " + providersDocs,
	}
	resp, err := d.get(ctx, target, "")
	if err != nil {
		d.out.fail(label+": cannot fetch the discovery document at "+where+": "+err.Error(), unreachable...)
		return
	}
	if resp.status != 200 {
		d.out.fail(label+": the discovery document at "+where+" answered "+status(resp.status)+", expected 200",
			append(redirectedHint(target, resp), append(unreachable, "The answer was: "+excerpt(resp.body))...)...)
		return
	}
	var doc struct {
		Issuer *string `json:"issuer"`
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		d.out.fail(label+": the discovery document at "+where+" is not valid JSON: "+err.Error(),
			append(redirectedHint(target, resp), "The answer was: "+excerpt(resp.body))...)
		return
	}
	switch {
	case doc.Issuer == nil:
		d.out.fail(label+": the discovery document at "+where+" names no issuer",
			append(redirectedHint(target, resp), "This is not an OpenID Connect discovery document: check the issuer.",
				"See "+providersDocs)...)
	case *doc.Issuer != p.Issuer:
		msg := fmt.Sprintf("%s: the discovery document names the issuer %q, but the configuration says %q", label, *doc.Issuer, p.Issuer)
		hints := []string{
			"Set issuer to exactly the value in the document (a trailing slash counts).",
			"See " + providersDocs,
		}
		if p.Insecure {
			d.out.warn(msg, append([]string{"discovery_mode is insecure, so logins still work; in oidc mode they would fail."}, hints...)...)
			return
		}
		d.out.fail(msg, append([]string{"With discovery_mode: oidc every login with this provider fails on this mismatch."}, hints...)...)
	default:
		d.out.pass(label + ": the discovery document at " + where + " is served and names the configured issuer")
	}
}
