package cli

import (
	"testing"
)

// `config check` compiles every provider's claims_imports and
// additional_authorization_parameters templates as the server does at
// start, and reports each broken one by provider and key, all at once.
func TestConfigCheckReportsBrokenProviderTemplates(t *testing.T) {
	dir := t.TempDir()
	base := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir)))
	providers := writeFile(t, dir, "providers.yaml", `upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      issuer: https://idp.example.com/
      client_id: mas
      token_endpoint_auth_method: none
      additional_authorization_parameters:
        prompt: "{% if logged_out %}login"
      claims_imports:
        localpart:
          action: require
          template: "{{ user.preferred_username"
        displayname:
          action: suggest
          template: "{{ user.name | no_such_filter }}"
`)
	r := run(t, "config", "check", "-c", base, "-c", providers)
	mustFail(t, r, "01HFVBY12TMNTYTBV8W921M5FA", "claims_imports.localpart.template",
		"claims_imports.displayname.template", "additional_authorization_parameters.prompt")

	// Fixed, the same file passes.
	writeFile(t, dir, "providers.yaml", `upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      issuer: https://idp.example.com/
      client_id: mas
      token_endpoint_auth_method: none
      additional_authorization_parameters:
        prompt: "{% if logged_out %}login{% endif %}"
      claims_imports:
        localpart:
          action: require
          template: "{{ user.preferred_username | split('@') | first }}"
`)
	mustSucceed(t, run(t, "config", "check", "-c", base, "-c", providers), "config check of fixed templates")
}
