package config

// Config is the whole configuration file. Field order is the section order
// of upstream's schema, which Marshal follows.
type Config struct {
	Clients        []ClientConfig       `yaml:"clients,omitempty"`
	HTTP           HTTPConfig           `yaml:"http"`
	Database       DatabaseConfig       `yaml:"database"`
	Telemetry      TelemetryConfig      `yaml:"telemetry,omitempty"`
	Templates      TemplatesConfig      `yaml:"templates,omitempty"`
	Email          EmailConfig          `yaml:"email"`
	Secrets        SecretsConfig        `yaml:"secrets"`
	Passwords      PasswordsConfig      `yaml:"passwords"`
	Matrix         MatrixConfig         `yaml:"matrix"`
	Policy         PolicyConfig         `yaml:"policy,omitempty"`
	RateLimiting   RateLimitingConfig   `yaml:"rate_limiting,omitempty"`
	UpstreamOAuth2 UpstreamOAuth2Config `yaml:"upstream_oauth2,omitempty"`
	Branding       BrandingConfig       `yaml:"branding,omitempty"`
	Captcha        CaptchaConfig        `yaml:"captcha,omitempty"`
	Account        AccountConfig        `yaml:"account,omitempty"`
	OAuth          OAuthConfig          `yaml:"oauth,omitempty"`
	Experimental   ExperimentalConfig   `yaml:"experimental,omitempty"`
}

// Default returns the configuration used for everything the input leaves
// out. It has no secrets and no Matrix secret, so it does not validate on
// its own.
func Default() *Config {
	c := &Config{}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	*c = Config{}
	c.HTTP.setDefaults()
	c.Database.setDefaults()
	c.Telemetry.setDefaults()
	c.Templates.setDefaults()
	c.Email.setDefaults()
	c.Passwords.setDefaults()
	c.Matrix.setDefaults()
	c.Policy.setDefaults()
	c.RateLimiting.setDefaults()
	c.Account.setDefaults()
	c.OAuth.setDefaults()
	c.Experimental.setDefaults()
}
