// Package pages renders the service's HTML pages and reads the forms they
// post. Every human-facing handler (the web pages, the OAuth consent and
// device pages, the compat SSO page) goes through it, so that rendering,
// error pages, CSRF checks, form size limits and redirects after POST
// behave the same on every page.
package pages

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"mas/internal/domain"
	"mas/internal/i18n"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/templates"
)

// MaxFormBytes bounds the body of any form our pages post; the largest,
// the login form, is well under 1 KiB.
const MaxFormBytes = 16 << 10

// Messages of the shared error pages.
var (
	MsgStaleForm  = templates.Msg("errors.stale_form")
	MsgBadForm    = templates.Msg("errors.bad_form")
	MsgOurFailure = templates.Msg("errors.our_failure")
	MsgNotText    = templates.Msg("errors.not_text")
	MsgLimited    = templates.Msg("errors.limited")
)

// CSRF is what the pages need of the browser-session manager: the token to
// put in a form, and the check of a posted one.
type CSRF interface {
	CSRFToken(w http.ResponseWriter, r *http.Request) string
	CheckCSRF(r *http.Request) bool
}

// Renderer renders pages with the common layout.
type Renderer struct {
	Templates *templates.Templates
	URLs      *routes.URLBuilder
	Branding  templates.Branding
	CSRF      CSRF
	// I18n holds the message catalogs; nil means the embedded English.
	I18n *i18n.Catalog
}

// Common is the layout data of a page in the request's language (from
// Accept-Language); csrf is its form token, or "".
func (p *Renderer) Common(r *http.Request, csrf string) templates.Common {
	c := templates.NewCommon(p.URLs, p.Branding)
	c.CSRFToken = csrf
	c.WithLocale(p.Locale(r))
	return c
}

// Locale is the language of the request's pages and of the emails it
// causes.
func (p *Renderer) Locale(r *http.Request) *i18n.Locale {
	cat := p.I18n
	if cat == nil {
		cat = i18n.Default
	}
	return cat.Match(r.Header.Get("Accept-Language"))
}

// CommonWithCSRF is Common with a fresh form token for this browser.
func (p *Renderer) CommonWithCSRF(w http.ResponseWriter, r *http.Request) templates.Common {
	return p.Common(r, p.CSRF.CSRFToken(w, r))
}

// Render writes the page name with status. Pages are specific to one
// browser (form tokens, authorization responses), so none is cached.
func (p *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	w.Header().Set("Cache-Control", "no-store")
	if err := p.Templates.Respond(w, status, name, data); err != nil {
		requestctx.Logger(r.Context()).ErrorContext(r.Context(), "rendering page", "page", name, "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
	}
}

// Error shows the error page with a description and, for protocol errors,
// their code ("" for none).
func (p *Renderer) Error(w http.ResponseWriter, r *http.Request, status int, code string, description templates.Message) {
	p.Render(w, r, status, templates.PageError, templates.ErrorPage{
		Common:      p.Common(r, ""),
		Code:        code,
		Description: description,
	})
}

// InternalError logs err and shows the generic error page; what went
// wrong is for the logs, not for the browser.
func (p *Renderer) InternalError(w http.ResponseWriter, r *http.Request, err error) {
	requestctx.Logger(r.Context()).ErrorContext(r.Context(), "request failed", "error", err)
	p.Error(w, r, http.StatusInternalServerError, "", MsgOurFailure)
}

// Limited answers a request a rate limiter refused: 429 with Retry-After
// and the error page.
func (p *Renderer) Limited(w http.ResponseWriter, r *http.Request, err *ratelimit.LimitedError) {
	SetRetryAfter(w, err.RetryAfter)
	p.Error(w, r, http.StatusTooManyRequests, "", MsgLimited)
}

// SetRetryAfter tells a rate-limited client how long to wait, in whole
// seconds rounded up.
func SetRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}

// ReadForm reads a form posted by one of our pages, at most MaxFormBytes,
// and checks its CSRF token. When either fails it answers the request
// itself with an error page and returns false.
func (p *Renderer) ReadForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, "", MsgBadForm)
		return false
	}
	if !p.CSRF.CheckCSRF(r) {
		p.Error(w, r, http.StatusForbidden, "", MsgStaleForm)
		return false
	}
	// No field of our forms takes anything but text; PostgreSQL could not
	// store the rest.
	for k, vs := range r.PostForm {
		for _, v := range vs {
			if !domain.IsText(k) || !domain.IsText(v) {
				p.Error(w, r, http.StatusBadRequest, "", MsgNotText)
				return false
			}
		}
	}
	return true
}

// SeeOther redirects with 303, so that a POST is never replayed (RFC 9700
// §4.12).
func SeeOther(w http.ResponseWriter, r *http.Request, location string) {
	http.Redirect(w, r, location, http.StatusSeeOther)
}
