package templates

import (
	"reflect"
	"slices"
)

// Names of the renderable templates, relative to the files directory.
const (
	PageNotFound = "pages/404.html"
	PageError    = "pages/error.html"
)

// registry lists every renderable template with its data type. Adding a page
// takes a file under files/pages, a data struct embedding Common with a
// Sample method, and one line in the list of its area.
var registry = slices.Concat(corePages, registrationPages, recoveryPages, accountPages, upstreamPages, apidocPages)

// corePages are the login, protocol and error pages.
var corePages = []pageSpec{
	page[NotFoundPage](PageNotFound),
	page[ErrorPage](PageError),
	page[IndexPage](PageIndex),
	page[LoginPage](PageLogin),
	page[AccountLockedPage](PageAccountLocked),
	page[ConsentPage](PageConsent),
	page[PolicyViolationPage](PagePolicyViolation),
	page[DeviceLinkPage](PageDeviceLink),
	page[DeviceConsentPage](PageDeviceConsent),
	page[FormPostPage](PageFormPost),
	page[CompatSSOPage](PageCompatSSO),
	page[CompatLoginPolicyViolationPage](PageCompatLoginPolicyViolation),
}

// NotFoundPage is the fallback for unmatched paths, on every listener.
type NotFoundPage struct {
	Common
	// Path is the request path (never the query, which may hold secrets).
	Path string
}

// Sample returns representative values for Check.
func (NotFoundPage) Sample() []NotFoundPage {
	return []NotFoundPage{
		{Common: sampleCommon(), Path: "/does/not/exist"},
		{Common: Common{}, Path: `/<script>alert("x")</script>`},
	}
}

// ErrorPage shows a failure the user cannot fix by retrying the same form.
type ErrorPage struct {
	Common
	// Code is a short machine-ish identifier (an OAuth error code, say).
	Code string
	// Description is the sentence shown to the user.
	Description Message
	// Details is extra text for bug reports; keep secrets out of it.
	Details string
}

// Sample returns representative values for Check.
func (ErrorPage) Sample() []ErrorPage {
	return []ErrorPage{
		{Common: sampleCommon()},
		{
			Common:      sampleCommon(),
			Code:        "invalid_request",
			Description: Msg("errors.redirect_uri_invalid", "reason", "it is not registered"),
			Details:     "redirect_uri is not registered for this client",
		},
	}
}

// pageSpec ties a template name to the data type it renders and its samples.
type pageSpec struct {
	name    string
	typ     reflect.Type
	samples func() []any
}

// sampler is implemented by every page data struct.
type sampler[T any] interface {
	Sample() []T
}

func page[T sampler[T]](name string) pageSpec {
	return pageSpec{
		name: name,
		typ:  reflect.TypeFor[T](),
		samples: func() []any {
			var zero T
			var out []any
			for _, s := range zero.Sample() {
				out = append(out, s)
			}
			return out
		},
	}
}

// Names returns the names of all renderable templates, in registry order.
func Names() []string {
	names := make([]string, len(registry))
	for i, p := range registry {
		names[i] = p.name
	}
	return names
}
