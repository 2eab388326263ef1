package oauth

import (
	"context"
	"encoding/json"
	"net/http"

	"mas/internal/requestctx"
)

// ErrorCode is an OAuth 2.0 error code, as sent in the "error" field.
type ErrorCode string

// Error codes of RFC 6749, 7009, 7591, 8628 and OpenID Connect.
const (
	ErrInvalidRequest           ErrorCode = "invalid_request"
	ErrInvalidClient            ErrorCode = "invalid_client"
	ErrInvalidGrant             ErrorCode = "invalid_grant"
	ErrUnauthorizedClient       ErrorCode = "unauthorized_client"
	ErrUnsupportedGrantType     ErrorCode = "unsupported_grant_type"
	ErrInvalidScope             ErrorCode = "invalid_scope"
	ErrAccessDenied             ErrorCode = "access_denied"
	ErrUnsupportedResponseType  ErrorCode = "unsupported_response_type"
	ErrServerError              ErrorCode = "server_error"
	ErrTemporarilyUnavailable   ErrorCode = "temporarily_unavailable"
	ErrUnsupportedTokenType     ErrorCode = "unsupported_token_type"
	ErrInvalidRedirectURI       ErrorCode = "invalid_redirect_uri"
	ErrInvalidClientMetadata    ErrorCode = "invalid_client_metadata"
	ErrAuthorizationPending     ErrorCode = "authorization_pending"
	ErrSlowDown                 ErrorCode = "slow_down"
	ErrExpiredToken             ErrorCode = "expired_token"
	ErrLoginRequired            ErrorCode = "login_required"
	ErrConsentRequired          ErrorCode = "consent_required"
	ErrRequestNotSupported      ErrorCode = "request_not_supported"
	ErrRequestURINotSupported   ErrorCode = "request_uri_not_supported"
	ErrRegistrationNotSupported ErrorCode = "registration_not_supported"
)

// Error is a protocol error: the code, a human description and the HTTP
// status it is served with.
type Error struct {
	Code        ErrorCode `json:"error"`
	Description string    `json:"error_description,omitempty"`
	Status      int       `json:"-"`
	// WWWAuthenticate, when set, is sent as the WWW-Authenticate header
	// (401 invalid_client with Basic authentication, RFC 6749 §5.2).
	WWWAuthenticate string `json:"-"`
}

func (e *Error) Error() string {
	if e.Description == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Description
}

// newError builds an error; status 0 means 400.
func newError(code ErrorCode, status int, description string) *Error {
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

// serverFault logs an unexpected failure and returns the opaque 500 the
// client sees.
func (h *Handler) serverFault(ctx context.Context, what string, err error) *Error {
	requestctx.Logger(ctx).ErrorContext(ctx, what, "error", err)
	return serverError()
}
