package web

import (
	"context"
	"net/http"
)

// CaptchaVerifier checks the challenge a registration form carries. The
// implementation (internal/captcha) talks to the configured service.
type CaptchaVerifier interface {
	// Widget describes what the page must embed: the service's script,
	// its site key and the form field the answer arrives in.
	Widget() CaptchaWidget
	// Verify checks the answer the form posted, from the client address
	// of r. A wrong or missing answer is (false, nil); an unreachable
	// service is an error.
	Verify(ctx context.Context, r *http.Request) (bool, error)
}

// CaptchaWidget is the page side of a captcha.
type CaptchaWidget struct {
	// Service is recaptcha_v2, cloudflare_turnstile or hcaptcha.
	Service string
	// ScriptURL is the service's script; the page's Content-Security-Policy
	// must allow its origin.
	ScriptURL string
	// SiteKey is the public key the widget shows the challenge for.
	SiteKey string
	// ResponseField is the form field the widget fills in.
	ResponseField string
}
