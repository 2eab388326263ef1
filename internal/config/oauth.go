package config

// OAuthConfig is the `oauth` section: OAuth 2.0 protocol options.
type OAuthConfig struct {
	DeviceCodeGrantEnabled bool `yaml:"device_code_grant_enabled,omitempty"`
	// DeviceCodeUserCodeAutoFillEnabled advertises verification_uri_complete.
	DeviceCodeUserCodeAutoFillEnabled bool `yaml:"device_code_user_code_auto_fill_enabled,omitempty"`
}

func (o *OAuthConfig) setDefaults() {
	*o = OAuthConfig{DeviceCodeGrantEnabled: true}
}
