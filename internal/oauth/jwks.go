package oauth

import "net/http"

// jwks serves the public half of every configured signing key, so that
// relying parties can verify ID tokens.
func (h *Handler) jwks(w http.ResponseWriter, r *http.Request) {
	body := []byte(`{"keys":[]}`)
	if h.Keys != nil {
		body = h.Keys.JWKS()
	}
	writePublicBytes(w, "application/json", jwksMaxAge, body)
}
