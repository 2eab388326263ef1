package e2e

import (
	"maps"
	"net/http"
	"slices"
	"testing"

	"mas/internal/config"
	"mas/internal/testenv"
)

// siteConfigKeys are the attributes of upstream's SiteConfig, all required.
var siteConfigKeys = []string{
	"account_deactivation_allowed", "account_recovery_allowed", "captcha_enabled", "displayname_change_allowed",
	"email_change_allowed", "minimum_password_complexity", "password_change_allowed", "password_login_enabled",
	"password_registration_email_required", "password_registration_enabled", "password_registration_token_required",
	"registration_token_required", "server_name",
}

// TestAdminAPISiteConfig: GET /site-config reports the configuration, with
// every attribute of upstream's document; password features read false
// when passwords are disabled.
func TestAdminAPISiteConfig(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
			configureAdmin(cfg)
			cfg.Account.PasswordRegistrationEnabled = true
			cfg.Account.PasswordRegistrationEmailRequired = true
			cfg.Account.PasswordRegistrationTokenRequired = true
			cfg.Account.EmailChangeAllowed = false
			cfg.Account.DisplaynameChangeAllowed = true
			cfg.Account.PasswordChangeAllowed = true
			cfg.Account.PasswordRecoveryEnabled = false
			cfg.Account.AccountDeactivationAllowed = true
			cfg.Captcha = config.CaptchaConfig{Service: config.CaptchaHCaptcha, SiteKey: "site", SecretKey: "secret"}
			cfg.Passwords.MinimumComplexity = 2
		}})
		token := clientCredentialsToken(t, e, "urn:mas:admin")
		a := adminCall(t, e, token, "GET", "/api/admin/v1/site-config", nil).expect(t, http.StatusOK)
		if got := slices.Sorted(maps.Keys(a.Raw)); !slices.Equal(got, siteConfigKeys) {
			t.Errorf("attributes %v\nwant %v", got, siteConfigKeys)
		}
		want := map[string]any{
			"server_name": testenv.ServerName, "password_login_enabled": true, "password_registration_enabled": true,
			"password_registration_email_required": true, "password_registration_token_required": true,
			"registration_token_required": true, "email_change_allowed": false, "displayname_change_allowed": true,
			"password_change_allowed": true, "account_recovery_allowed": false, "account_deactivation_allowed": true,
			"captcha_enabled": true, "minimum_password_complexity": float64(2),
		}
		for k, v := range want {
			if a.Raw[k] != v {
				t.Errorf("%s = %v, want %v", k, a.Raw[k], v)
			}
		}

		// Without a token: 401, as every endpoint.
		adminCall(t, e, "", "GET", "/api/admin/v1/site-config", nil).expect(t, http.StatusUnauthorized)
	})
	t.Run("passwords disabled", func(t *testing.T) {
		e := testenv.New(t, testenv.Options{Configure: func(cfg *config.Config) {
			configureAdmin(cfg)
			cfg.Passwords.Enabled = false
			cfg.Account.PasswordRegistrationEnabled = true
			cfg.Account.PasswordChangeAllowed = true
			cfg.Account.PasswordRecoveryEnabled = true
		}})
		a := adminCall(t, e, clientCredentialsToken(t, e, "urn:mas:admin"), "GET", "/api/admin/v1/site-config", nil).expect(t, http.StatusOK)
		for _, k := range []string{"password_login_enabled", "password_registration_enabled", "password_change_allowed", "account_recovery_allowed"} {
			if a.Raw[k] != false {
				t.Errorf("%s = %v with passwords disabled", k, a.Raw[k])
			}
		}
	})
}

// TestAdminAPIVersion: GET /version answers the version the service runs
// (the CLI's, which sets App.Version).
func TestAdminAPIVersion(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		token := clientCredentialsToken(t, e, "urn:mas:admin")
		a := adminCall(t, e, token, "GET", "/api/admin/v1/version", nil).expect(t, http.StatusOK)
		if v, ok := a.Raw["version"].(string); !ok || v != e.App.Version || len(a.Raw) != 1 {
			t.Errorf("version answer %v, want {version: %q}", a.Raw, e.App.Version)
		}
	})
}
