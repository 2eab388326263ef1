package app

import (
	"fmt"
	"net/url"

	"mas/internal/captcha"
	"mas/internal/config"
	"mas/internal/web"
)

// captchaVerifier builds the registration form's captcha from the
// `captcha` section; nil (an untyped nil interface) when none is set.
// Answers must have been solved on the public base's host.
func captchaVerifier(cfg *config.Config) (web.CaptchaVerifier, error) {
	c := cfg.Captcha
	if c.Service == "" {
		return nil, nil
	}
	base, err := url.Parse(cfg.HTTP.PublicBase)
	if err != nil {
		return nil, fmt.Errorf("captcha: public base: %w", err)
	}
	v, err := captcha.New(captcha.Options{
		Service: string(c.Service), SiteKey: c.SiteKey, SecretKey: c.SecretKey, Hostname: base.Hostname(),
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}
