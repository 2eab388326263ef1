package config

// CaptchaConfig is the `captcha` section; an empty Service disables CAPTCHA.
type CaptchaConfig struct {
	Service   CaptchaService `yaml:"service,omitempty"`
	SiteKey   string         `yaml:"site_key,omitempty"`
	SecretKey string         `yaml:"secret_key,omitempty"`
}

// CaptchaService names a CAPTCHA provider.
type CaptchaService string

const (
	CaptchaRecaptchaV2         CaptchaService = "recaptcha_v2"
	CaptchaCloudflareTurnstile CaptchaService = "cloudflare_turnstile"
	CaptchaHCaptcha            CaptchaService = "hcaptcha"
)

func (CaptchaService) enumValues() []string {
	return []string{"recaptcha_v2", "cloudflare_turnstile", "hcaptcha"}
}

func (c *CaptchaConfig) validate(v *validator) {
	if c.Service == "" {
		return
	}
	if c.SiteKey == "" {
		v.add("captcha.site_key", "required when a CAPTCHA service is set")
	}
	if c.SecretKey == "" {
		v.add("captcha.secret_key", "required when a CAPTCHA service is set")
	}
}
