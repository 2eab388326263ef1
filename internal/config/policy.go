package config

// PolicyConfig is the `policy` section.
type PolicyConfig struct {
	WasmModule                   string `yaml:"wasm_module,omitempty"`
	ClientRegistrationEntrypoint string `yaml:"client_registration_entrypoint,omitempty"`
	RegisterEntrypoint           string `yaml:"register_entrypoint,omitempty"`
	AuthorizationGrantEntrypoint string `yaml:"authorization_grant_entrypoint,omitempty"`
	CompatLoginEntrypoint        string `yaml:"compat_login_entrypoint,omitempty"`
	PasswordEntrypoint           string `yaml:"password_entrypoint,omitempty"`
	EmailEntrypoint              string `yaml:"email_entrypoint,omitempty"`
	// Data is passed to the policy as is; it is usually a mapping (keys
	// such as admin_users, admin_clients, registration, emails, requester).
	Data any `yaml:"data,omitempty"`
}

func (p *PolicyConfig) setDefaults() {
	*p = PolicyConfig{
		WasmModule:                   "./share/policy.wasm",
		ClientRegistrationEntrypoint: "client_registration/violation",
		RegisterEntrypoint:           "register/violation",
		AuthorizationGrantEntrypoint: "authorization_grant/violation",
		CompatLoginEntrypoint:        "compat_login/violation",
		PasswordEntrypoint:           "password/violation",
		EmailEntrypoint:              "email/violation",
		Data:                         map[string]any{},
	}
}

// DataMap returns Data as a mapping, or nil when it is something else.
func (p *PolicyConfig) DataMap() map[string]any {
	m, _ := p.Data.(map[string]any)
	return m
}

func (p *PolicyConfig) validate(v *validator) {
	if p.WasmModule == "" {
		v.add("policy.wasm_module", "must not be empty")
	}
}
