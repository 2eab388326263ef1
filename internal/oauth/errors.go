package oauth

import (
	"encoding/json"
	"net/http"
)

// Error codes of RFC 6749, 7009, 7591, 8628 and OpenID Connect.
const (
	ErrInvalidRequest           = "invalid_request"
	ErrInvalidClient            = "invalid_client"
	ErrInvalidGrant             = "invalid_grant"
	ErrUnauthorizedClient       = "unauthorized_client"
	ErrUnsupportedGrantType     = "unsupported_grant_type"
	ErrInvalidScope             = "invalid_scope"
	ErrAccessDenied             = "access_denied"
	ErrUnsupportedResponseType  = "unsupported_response_type"
	ErrServerError              = "server_error"
	ErrTemporarilyUnavailable   = "temporarily_unavailable"
	ErrUnsupportedTokenType     = "unsupported_token_type"
	ErrInvalidRedirectURI       = "invalid_redirect_uri"
	ErrInvalidClientMetadata    = "invalid_client_metadata"
	ErrAuthorizationPending     = "authorization_pending"
	ErrSlowDown                 = "slow_down"
	ErrExpiredToken             = "expired_token"
	ErrLoginRequired            = "login_required"
	ErrConsentRequired          = "consent_required"
	ErrRequestNotSupported      = "request_not_supported"
	ErrRequestURINotSupported   = "request_uri_not_supported"
	ErrRegistrationNotSupported = "registration_not_supported"
)

// Error is a protocol error: the code, a human description and the HTTP
// status it is served with.
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      int    `json:"-"`
	// WWWAuthenticate, when set, is sent as the WWW-Authenticate header
	// (401 invalid_client with Basic authentication, RFC 6749 §5.2).
	WWWAuthenticate string `json:"-"`
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// newError builds an error; status 0 means 400.
func newError(code string, status int, description string) *Error {
	if status == 0 {
		status = http.StatusBadRequest
	}
	return &Error{Code: code, Description: description, Status: status}
}

// serverError hides the cause from the client; callers log it.
func serverError() *Error {
	return newError(ErrServerError, http.StatusInternalServerError, "")
}

// writeError writes e as RFC 6749 error JSON, never cached.
func writeError(w http.ResponseWriter, e *Error) {
	if e.WWWAuthenticate != "" {
		w.Header().Set("WWW-Authenticate", e.WWWAuthenticate)
	}
	writeJSON(w, e.Status, e)
}

// writeJSON writes v with the no-store headers token responses need.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}
