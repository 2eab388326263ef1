package config

// BrandingConfig is the `branding` section.
type BrandingConfig struct {
	// ServiceName defaults to the server's address.
	ServiceName string `yaml:"service_name,omitempty"`
	PolicyURI   string `yaml:"policy_uri,omitempty"`
	// TOSURI also adds a mandatory terms checkbox to registration.
	TOSURI  string `yaml:"tos_uri,omitempty"`
	Imprint string `yaml:"imprint,omitempty"`
	// LogoURI is a key of upstream releases before 1.20, which showed the
	// logo on the pages; configurations still carry it, and it is shown
	// here.
	LogoURI string `yaml:"logo_uri,omitempty"`
}

func (b *BrandingConfig) readLenient(d *decoder, n *node, path string) *node {
	if child, ok := n.children["logo_uri"]; ok {
		d.notice(child, joinPath(path, "logo_uri"), "removed from upstream in 1.20; honoured here: the logo is shown on the pages")
	}
	return n
}

func (b *BrandingConfig) validate(v *validator) {
	v.absoluteURL("branding.policy_uri", b.PolicyURI)
	v.absoluteURL("branding.tos_uri", b.TOSURI)
	v.absoluteURL("branding.logo_uri", b.LogoURI)
}
