package app

import (
	"mas/internal/adminapi"
	"mas/internal/config"
)

// adminSiteConfig is what the Admin API's GET /site-config answers: what
// the configuration lets users do. Password features need passwords
// enabled at all, as upstream reports them.
func adminSiteConfig(cfg *config.Config) adminapi.SiteConfig {
	acc, pw := cfg.Account, cfg.Passwords.Enabled
	tokenRequired := acc.PasswordRegistrationTokenRequired || acc.RegistrationTokenRequired
	return adminapi.SiteConfig{
		ServerName:                        cfg.Matrix.Homeserver,
		PasswordLoginEnabled:              pw,
		PasswordRegistrationEnabled:       pw && acc.PasswordRegistrationEnabled,
		PasswordRegistrationEmailRequired: acc.PasswordRegistrationEmailRequired,
		PasswordRegistrationTokenRequired: tokenRequired,
		RegistrationTokenRequired:         tokenRequired,
		EmailChangeAllowed:                acc.EmailChangeAllowed,
		DisplaynameChangeAllowed:          acc.DisplaynameChangeAllowed,
		PasswordChangeAllowed:             pw && acc.PasswordChangeAllowed,
		AccountRecoveryAllowed:            pw && acc.PasswordRecoveryEnabled,
		AccountDeactivationAllowed:        acc.AccountDeactivationAllowed,
		CaptchaEnabled:                    cfg.Captcha.Service != "",
		MinimumPasswordComplexity:         int(cfg.Passwords.MinimumComplexity),
	}
}
