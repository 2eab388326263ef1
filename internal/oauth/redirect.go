package oauth

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"mas/internal/domain"
	"mas/internal/templates"
)

// Response modes (OAuth 2.0 Multiple Response Types, Form Post Response
// Mode).
const (
	responseModeQuery    = "query"
	responseModeFragment = "fragment"
	responseModeFormPost = "form_post"
)

// responseTarget is where an authorization response goes: a redirect URI the
// client registered, how to deliver it, and the state to echo. Only build
// one from a redirect URI that resolveRedirectURI accepted (or one stored
// on a grant, which was).
type responseTarget struct {
	redirectURI string
	mode        string
	state       string
	clientName  string
}

func grantResponseTarget(g *domain.AuthorizationGrant, c *domain.Client) responseTarget {
	return responseTarget{redirectURI: g.RedirectURI, mode: g.ResponseMode, state: g.State, clientName: c.ClientName}
}

// responseParam is one response parameter; order is kept so that responses read
// naturally (code or error first, state last).
type responseParam struct{ key, value string }

// deliverError delivers an authorization error to the client.
func (h *Handler) deliverError(w http.ResponseWriter, r *http.Request, cb responseTarget, e *Error) {
	params := []responseParam{{"error", string(e.Code)}}
	if e.Description != "" {
		params = append(params, responseParam{"error_description", e.Description})
	}
	h.deliver(w, r, cb, params)
}

// deliver delivers an authorization response to the client in its response
// mode: a 303 carrying the parameters in the query or fragment, or the
// auto-submitting form_post page.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, cb responseTarget, params []responseParam) {
	if cb.state != "" {
		params = append(params, responseParam{"state", cb.state})
	}
	// Codes and errors must not be cached by anything in between.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")

	switch cb.mode {
	case responseModeFormPost:
		action, err := formPostAction(cb.redirectURI)
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		page := templates.FormPostPage{Common: h.Pages.Common(r, ""), Action: action, ClientName: cb.clientName}
		for _, p := range params {
			page.Fields = append(page.Fields, templates.FormPostField{Name: p.key, Value: p.value})
		}
		// The page runs a script and posts to the client, which the policy
		// every other page gets forbids; the server's middleware keeps a
		// policy the handler set.
		w.Header().Set("Content-Security-Policy", page.ContentSecurityPolicy())
		h.Pages.Render(w, r, http.StatusOK, templates.PageFormPost, page)
	case responseModeFragment:
		http.Redirect(w, r, cb.redirectURI+"#"+encodeParams(params), http.StatusSeeOther)
	default:
		// The registered URI may carry a query of its own, which is kept.
		// The empty fragment stops the browser from carrying the fragment
		// of the /authorize URL over to the client (Fetch, "location URL").
		sep := "?"
		if strings.Contains(cb.redirectURI, "?") {
			sep = "&"
		}
		http.Redirect(w, r, cb.redirectURI+sep+encodeParams(params)+"#", http.StatusSeeOther)
	}
}

func encodeParams(params []responseParam) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}

// formPostAction vouches for a redirect URI as a form action. Registered
// URIs are https, loopback http, or a native app's private-use scheme; the
// schemes that run code in the page are refused whatever the registration
// said.
func formPostAction(redirectURI string) (template.URL, error) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return "", err
	}
	switch strings.ToLower(u.Scheme) {
	case "", "javascript", "data", "vbscript", "blob", "file":
		return "", errors.New("redirect URI " + redirectURI + " cannot be used as a form action")
	}
	return template.URL(redirectURI), nil
}

// loopbackHosts are the hosts for which any port matches a port-less
// registration (RFC 8252 §7.3): native apps listen on whatever port is
// free.
var loopbackHosts = map[string]bool{"localhost": true, "127.0.0.1": true, "[::1]": true}

// errRedirectURI explains why a redirect URI was refused; it is shown on
// the error page, never sent to the URI.
type errRedirectURI string

func (e errRedirectURI) Error() string { return string(e) }

// resolveRedirectURI picks the redirect URI of an authorization request:
// the requested one if it is registered (compared as strings, RFC 9700
// §2.1), or the only registered one when none was requested.
func resolveRedirectURI(c *domain.Client, requested string) (string, error) {
	uri, err := matchRedirectURI(c, requested)
	if err == nil && strings.Contains(uri, "#") {
		// The response may be put in the fragment; one is never registered.
		return "", errRedirectURI("the redirect URI has a fragment")
	}
	return uri, err
}

func matchRedirectURI(c *domain.Client, requested string) (string, error) {
	if requested == "" {
		switch len(c.RedirectURIs) {
		case 0:
			return "", errRedirectURI("the client has no registered redirect URI")
		case 1:
			return c.RedirectURIs[0], nil
		default:
			return "", errRedirectURI("the client has several redirect URIs, so redirect_uri is required")
		}
	}
	for _, reg := range c.RedirectURIs {
		if reg == requested {
			return requested, nil
		}
	}
	if u, err := url.Parse(requested); err == nil && u.Port() != "" && loopbackHosts[hostWithBrackets(u)] {
		u.Host = hostWithBrackets(u)
		withoutPort := u.String()
		for _, reg := range c.RedirectURIs {
			if reg == withoutPort {
				return requested, nil
			}
		}
	}
	return "", errRedirectURI("redirect_uri is not registered for this client")
}

// hostWithBrackets is the URL's host without the port, IPv6 literals kept
// in brackets as they are written in URLs.
func hostWithBrackets(u *url.URL) string {
	h := u.Hostname()
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}
