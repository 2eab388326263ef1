package adminapi

import (
	"net/http"

	"mas/internal/routes"
)

// SiteConfig is upstream's SiteConfig: what the configuration lets users
// do, for admin tools to adapt their screens. The app fills it from the
// configuration.
type SiteConfig struct {
	ServerName                        string `json:"server_name"`
	PasswordLoginEnabled              bool   `json:"password_login_enabled"`
	PasswordRegistrationEnabled       bool   `json:"password_registration_enabled"`
	PasswordRegistrationEmailRequired bool   `json:"password_registration_email_required"`
	PasswordRegistrationTokenRequired bool   `json:"password_registration_token_required"`
	// RegistrationTokenRequired is upstream's deprecated name of
	// PasswordRegistrationTokenRequired; both are answered.
	RegistrationTokenRequired  bool `json:"registration_token_required"`
	EmailChangeAllowed         bool `json:"email_change_allowed"`
	DisplaynameChangeAllowed   bool `json:"displayname_change_allowed"`
	PasswordChangeAllowed      bool `json:"password_change_allowed"`
	AccountRecoveryAllowed     bool `json:"account_recovery_allowed"`
	AccountDeactivationAllowed bool `json:"account_deactivation_allowed"`
	CaptchaEnabled             bool `json:"captcha_enabled"`
	MinimumPasswordComplexity  int  `json:"minimum_password_complexity"`
}

// versionBody is upstream's Version.
type versionBody struct {
	Version string `json:"version"`
}

// siteEndpoints lists the operations on site-config and version. Both
// answer a bare object rather than a resource envelope: ResourceType is
// empty and Attributes is the object's schema.
func (h *Handler) siteEndpoints() []endpoint {
	return []endpoint{
		{Method: "GET", Path: routes.AdminSiteConfig, OperationID: "siteConfig", Tag: "server",
			Summary:    "Get the configuration of the service that admin tools adapt to",
			Attributes: SiteConfig{}, Status: http.StatusOK, Handle: h.siteConfig},
		{Method: "GET", Path: routes.AdminVersion, OperationID: "version", Tag: "server",
			Summary: "Get the running version", Attributes: versionBody{}, Status: http.StatusOK, Handle: h.version},
	}
}

func (h *Handler) siteConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.Site)
}

func (h *Handler) version(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, versionBody{Version: h.Version})
}
