package routes

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// URLBuilder turns route paths into the URLs the outside world uses, based on
// http.public_base. A public base with a path (https://example.com/auth/)
// means a reverse proxy or listener prefix puts the service below that path,
// so both absolute URLs and redirect paths must carry it.
//
// A URLBuilder is immutable and safe for concurrent use.
type URLBuilder struct {
	base   string // normalised public base, always ending in "/"
	prefix string // path of base without the trailing "/": "" or "/auth"
	issuer string
}

// NewURLBuilder validates publicBase and returns a builder for it. issuer is
// the OpenID issuer identifier; empty means the public base, as upstream does.
func NewURLBuilder(publicBase, issuer string) (*URLBuilder, error) {
	base, err := parseBase(publicBase)
	if err != nil {
		return nil, fmt.Errorf("public base %q: %w", publicBase, err)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	b := &URLBuilder{
		base:   base.String(),
		prefix: strings.TrimSuffix(base.EscapedPath(), "/"),
	}
	if issuer == "" {
		b.issuer = b.base
	} else {
		iss, err := parseBase(issuer)
		if err != nil {
			return nil, fmt.Errorf("issuer %q: %w", issuer, err)
		}
		// The issuer is compared byte for byte by clients, so it is kept as
		// configured apart from the empty-path normalisation every URL
		// parser applies ("https://x" and "https://x/" are the same URL).
		if iss.Path == "" {
			iss.Path = "/"
		}
		b.issuer = iss.String()
	}
	return b, nil
}

func parseBase(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("scheme must be http or https")
	case u.Host == "":
		return nil, errors.New("host is missing")
	case u.User != nil:
		return nil, errors.New("must not contain credentials")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("must not contain a query")
	case u.Fragment != "":
		return nil, errors.New("must not contain a fragment")
	}
	return u, nil
}

// Base returns the public base, ending in "/".
func (b *URLBuilder) Base() string { return b.base }

// Issuer returns the OpenID issuer identifier.
func (b *URLBuilder) Issuer() string { return b.issuer }

// Prefix returns the path part of the public base without its trailing
// slash: "" for a base at the root, "/auth" for https://example.com/auth/.
func (b *URLBuilder) Prefix() string { return b.prefix }

// Absolute returns the full URL of a route path (which starts with "/" and
// may carry a query): "/oauth2/token" under https://example.com/auth/ gives
// https://example.com/auth/oauth2/token.
func (b *URLBuilder) Absolute(path string) string {
	return b.base + strings.TrimPrefix(path, "/")
}

// AbsoluteWithQuery is Absolute(WithQuery(path, q)).
func (b *URLBuilder) AbsoluteWithQuery(path string, q url.Values) string {
	return b.Absolute(WithQuery(path, q))
}

// Relative returns the route path as seen by the browser, with the public
// base's path in front: "/login" gives "/auth/login". Use it for redirects
// and links within the service.
func (b *URLBuilder) Relative(path string) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return b.prefix + path
}

// RelativeWithQuery is Relative(WithQuery(path, q)).
func (b *URLBuilder) RelativeWithQuery(path string, q url.Values) string {
	return b.Relative(WithQuery(path, q))
}
