package config

// BrandingConfig is the `branding` section.
type BrandingConfig struct {
	// ServiceName defaults to the server's address.
	ServiceName string `yaml:"service_name,omitempty"`
	PolicyURI   string `yaml:"policy_uri,omitempty"`
	// TOSURI also adds a mandatory terms checkbox to registration.
	TOSURI  string `yaml:"tos_uri,omitempty"`
	Imprint string `yaml:"imprint,omitempty"`
}

func (b *BrandingConfig) validate(v *validator) {
	v.absoluteURL("branding.policy_uri", b.PolicyURI)
	v.absoluteURL("branding.tos_uri", b.TOSURI)
}
