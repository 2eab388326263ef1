package templates

import (
	"mas/internal/i18n"
	"mas/internal/routes"
)

// Common is the data every page needs for its layout. Each page struct
// embeds it, so templates read .ServiceName or .Links.Login directly and a
// later field added here reaches every page at once.
type Common struct {
	// Lang is the BCP 47 language of the page; empty renders as "en".
	Lang string
	// Locale translates the page's text ({{.T "key"}}); nil means the
	// embedded English catalog.
	Locale *i18n.Locale
	// Branding is the deployment's (the `branding` section); templates read
	// .ServiceName, .LogoURI and the others directly.
	Branding
	// CSRFToken is put into forms by pages that post back; handlers fill it
	// from the CSRF cookie machinery.
	CSRFToken string
	// Links are ready-to-use hrefs, so templates never spell paths.
	Links Links
}

// Branding is how the deployment presents itself on every page.
type Branding struct {
	// ServiceName is the human name of this deployment.
	ServiceName string
	// LogoURI, PolicyURI and TOSURI are absolute URLs; Imprint is text.
	LogoURI   string
	PolicyURI string
	TOSURI    string
	Imprint   string
}

// Links are the hrefs shared by the layout and most pages, already carrying
// the public base's path.
type Links struct {
	Index    string
	Login    string
	Logout   string
	Register string
	Account  string
}

// T translates key with name/value arguments in the page's language:
// {{.T "common.signed_in_as" "username" .Username}} (inside {{with}} or
// {{range}}, {{$.T …}}). A key the catalog lacks fails the rendering, so
// `templates check` finds it.
func (c Common) T(key string, args ...any) (string, error) {
	loc := c.Locale
	if loc == nil {
		loc = i18n.Default.Match(c.Lang)
	}
	return loc.T(key, args...)
}

// WithLocale sets the page's language.
func (c *Common) WithLocale(l *i18n.Locale) {
	c.Locale = l
	c.Lang = l.Lang()
}

// NewCommon fills the links from urls; callers then set CSRFToken and Lang
// per request. A nil urls leaves the links empty, and the layout then simply
// omits them.
func NewCommon(urls *routes.URLBuilder, b Branding) Common {
	c := Common{Lang: "en", Branding: b}
	if urls != nil {
		c.Links = Links{
			Index:    urls.Relative(routes.Index),
			Login:    urls.Relative(routes.Login),
			Logout:   urls.Relative(routes.Logout),
			Register: urls.Relative(routes.Register),
			Account:  urls.Relative(routes.Account),
		}
	}
	return c
}

// sampleCommon is the Common used by every Sample: a base with a path, so
// that samples show links that carry a prefix.
func sampleCommon() Common {
	urls, err := routes.NewURLBuilder("https://auth.example.com/prefix/", "")
	if err != nil {
		// The literal above is valid; keep samples usable regardless.
		urls = nil
	}
	c := NewCommon(urls, Branding{
		ServiceName: "Example Authentication Service",
		LogoURI:     "https://example.com/logo.png",
		PolicyURI:   "https://example.com/privacy",
		TOSURI:      "https://example.com/terms",
		Imprint:     "Example Ltd, 1 Example Street",
	})
	c.CSRFToken = "sample-csrf-token"
	return c
}
