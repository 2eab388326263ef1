package web

import (
	"context"
	"net/http"

	"mas/internal/captcha"
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

// CaptchaWidget is the page side of a captcha: the service's script, its
// site key, the form field the answer arrives in and the origins the
// page's Content-Security-Policy must allow. The type lives with its
// implementation so that internal/captcha need not import this package.
type CaptchaWidget = captcha.Widget
