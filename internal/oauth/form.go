package oauth

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"mas/internal/domain"
)

// maxFormBytes bounds request bodies of the form-encoded endpoints; real
// requests are a few hundred bytes (a client assertion a few KiB).
const maxFormBytes = 64 << 10

// parseForm reads an application/x-www-form-urlencoded body, refusing
// other content types and oversized bodies with invalid_request. Query
// parameters are ignored: OAuth credentials never travel in URLs here.
func parseForm(w http.ResponseWriter, r *http.Request) *Error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return newError(ErrInvalidRequest, 0, "the request body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newError(ErrInvalidRequest, http.StatusRequestEntityTooLarge, "the request body is too large")
		}
		return newError(ErrInvalidRequest, 0, "the request body is not a valid form")
	}
	if name, ok := notText(r.PostForm); ok {
		return newError(ErrInvalidRequest, 0, "the "+name+" parameter is not valid text (invalid UTF-8 or a NUL character)")
	}
	return nil
}

// notText names a parameter whose value is not text (domain.IsText), the
// first in name order; PostgreSQL could not store it.
func notText(values url.Values) (string, bool) {
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !domain.IsText(k) {
			return "a", true
		}
		for _, v := range values[k] {
			if !domain.IsText(v) {
				return k, true
			}
		}
	}
	return "", false
}

// formParam returns a form parameter that may be absent. RFC 6749 §3.2
// forbids repeating a parameter, so a repetition is an invalid_request
// rather than a silent choice of one value.
func formParam(form url.Values, name string) (string, *Error) {
	switch v := form[name]; len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	default:
		return "", newError(ErrInvalidRequest, 0, "the "+name+" parameter is repeated")
	}
}

// requiredFormParam is formParam for a parameter that must be present and
// non-empty.
func requiredFormParam(form url.Values, name string) (string, *Error) {
	v, e := formParam(form, name)
	if e != nil {
		return "", e
	}
	if v == "" {
		return "", newError(ErrInvalidRequest, 0, "the "+name+" parameter is missing")
	}
	return v, nil
}

// bearerToken extracts the credential of an "Authorization: Bearer"
// header. The scheme name is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (token string, present bool) {
	auth := r.Header.Get("Authorization")
	scheme, rest, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}
