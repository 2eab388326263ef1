package oauth

import (
	"errors"
	"mime"
	"net/http"
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
	return nil
}
