package session

import (
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net/http"
	"time"
)

// CSRFField is the name of the hidden form field carrying the token.
const CSRFField = "csrf"

// csrfTTL is how long a token stays valid after the last page that showed
// it; every render pushes the expiry forward, as upstream does.
const csrfTTL = time.Hour

// csrfCookie is the JSON payload of the csrf cookie, in upstream's shape:
// the expiry in Unix seconds and the 32 token bytes as a number array.
type csrfCookie struct {
	Expiration int64    `json:"expiration"`
	Token      [32]byte `json:"token"`
}

// CSRFToken returns the token to embed in the page's forms, reusing the
// browser's current token when it has a valid one (so several open tabs
// keep working) and refreshing the cookie's expiry. Call it once per
// response: a second call on a request without a cookie would mint a
// second token. It returns "" only if the random source fails, which makes
// the form fail its check rather than go unprotected.
func (m *Manager) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	now := m.clock.Now()
	var c csrfCookie
	if !m.load(r, CookieCSRF, &c) || !now.Before(time.Unix(c.Expiration, 0)) {
		if _, err := io.ReadFull(m.rand, c.Token[:]); err != nil {
			return ""
		}
	}
	c.Expiration = now.Add(csrfTTL).Unix()
	if err := m.save(w, CookieCSRF, c, 0); err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(c.Token[:])
}

// CheckCSRF reports whether a form POST is genuine: the browser did not
// mark it cross-origin, and its csrf field matches the unexpired token in
// the csrf cookie. The form must already be parsed (r.ParseForm), so that
// the caller decides how large a body it accepts.
func (m *Manager) CheckCSRF(r *http.Request) bool {
	if m.cop.Check(r) != nil {
		return false
	}
	var c csrfCookie
	if !m.load(r, CookieCSRF, &c) || !m.clock.Now().Before(time.Unix(c.Expiration, 0)) {
		return false
	}
	given, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get(CSRFField))
	if err != nil || len(given) != len(c.Token) {
		return false
	}
	return subtle.ConstantTimeCompare(given, c.Token[:]) == 1
}
