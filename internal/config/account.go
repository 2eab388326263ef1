package config

// AccountConfig is the `account` section: what users may do themselves.
type AccountConfig struct {
	EmailChangeAllowed                bool `yaml:"email_change_allowed,omitempty"`
	DisplaynameChangeAllowed          bool `yaml:"displayname_change_allowed,omitempty"`
	PasswordRegistrationEnabled       bool `yaml:"password_registration_enabled,omitempty"`
	PasswordRegistrationEmailRequired bool `yaml:"password_registration_email_required,omitempty"`
	PasswordChangeAllowed             bool `yaml:"password_change_allowed,omitempty"`
	PasswordRecoveryEnabled           bool `yaml:"password_recovery_enabled,omitempty"`
	PasswordRegistrationTokenRequired bool `yaml:"password_registration_token_required,omitempty"`
	AccountDeactivationAllowed        bool `yaml:"account_deactivation_allowed,omitempty"`
	LoginWithEmailAllowed             bool `yaml:"login_with_email_allowed,omitempty"`
	// RegistrationTokenRequired is the deprecated spelling of
	// PasswordRegistrationTokenRequired; either one turns the check on.
	RegistrationTokenRequired bool `yaml:"registration_token_required,omitempty"`
}

func (a *AccountConfig) setDefaults() {
	*a = AccountConfig{
		EmailChangeAllowed:                true,
		DisplaynameChangeAllowed:          true,
		PasswordRegistrationEmailRequired: true,
		PasswordChangeAllowed:             true,
		AccountDeactivationAllowed:        true,
	}
}

// RegistrationTokensRequired folds the deprecated key into the new one.
func (a *AccountConfig) RegistrationTokensRequired() bool {
	return a.PasswordRegistrationTokenRequired || a.RegistrationTokenRequired
}
