package compat

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"mas/internal/requestctx"
)

// Matrix error codes used by the endpoints.
const (
	errcodeUnknown                    = "M_UNKNOWN"
	errcodeForbidden                  = "M_FORBIDDEN"
	errcodeUserLocked                 = "M_USER_LOCKED"
	errcodeBadJSON                    = "M_BAD_JSON"
	errcodeNotJSON                    = "M_NOT_JSON"
	errcodeTooLarge                   = "M_TOO_LARGE"
	errcodeLimitExceeded              = "M_LIMIT_EXCEEDED"
	errcodeMissingToken               = "M_MISSING_TOKEN"
	errcodeUnknownToken               = "M_UNKNOWN_TOKEN"
	errcodeUnrecognized               = "M_UNRECOGNIZED"
	errcodeAppserviceLoginUnsupported = "M_APPSERVICE_LOGIN_UNSUPPORTED"
	errcodeInvalidParam               = "M_INVALID_PARAM"
)

// matrixError is an API error: the HTTP status and the Matrix error body.
// The texts are upstream's, so that clients and scripts matching on them
// keep working.
type matrixError struct {
	Status  int    `json:"-"`
	ErrCode string `json:"errcode"`
	Message string `json:"error"`
	// RetryAfterMS is set on M_LIMIT_EXCEEDED (Matrix spec, §Rate limiting).
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
}

func (e *matrixError) Error() string { return e.ErrCode + ": " + e.Message }

func newMatrixError(status int, errcode, message string) *matrixError {
	return &matrixError{Status: status, ErrCode: errcode, Message: message}
}

// The login errors, with upstream's statuses and texts.
var (
	errLoginInternal = newMatrixError(http.StatusInternalServerError, errcodeUnknown, "Internal server error")
	errLoginType     = newMatrixError(http.StatusBadRequest, errcodeUnknown, "Invalid login type")
	errAppservice    = newMatrixError(http.StatusBadRequest, errcodeAppserviceLoginUnsupported,
		"Application services can't log in through the legacy authentication API on this server")
	errIdentifierType    = newMatrixError(http.StatusBadRequest, errcodeUnknown, "Unsupported login identifier")
	errMissingIdentifier = newMatrixError(http.StatusBadRequest, errcodeBadJSON, "Missing property 'identifier")
	errBadCredentials    = newMatrixError(http.StatusForbidden, errcodeForbidden, "Invalid username/password")
	errLoginTokenExpired = newMatrixError(http.StatusForbidden, errcodeForbidden, "Login token expired")
	errLoginTokenInvalid = newMatrixError(http.StatusForbidden, errcodeForbidden, "Invalid login token")
	errUserLocked        = newMatrixError(http.StatusUnauthorized, errcodeUserLocked, "User account has been locked")
	errPolicyRejected    = newMatrixError(http.StatusForbidden, errcodeForbidden,
		"Login denied by the policy enforced by this service")
	errHardSessionLimit = newMatrixError(http.StatusForbidden, errcodeForbidden,
		"You have reached your hard device limit. Please visit your account page to sign some out.")
)

// invalidParam is a 400 M_INVALID_PARAM: a member of the right type whose
// value is not acceptable.
func invalidParam(message string) *matrixError {
	return newMatrixError(http.StatusBadRequest, errcodeInvalidParam, message)
}

// errInvalidDeviceID refuses a device ID that could not travel in a scope
// token or reach the homeserver (domain.IsDeviceID).
var errInvalidDeviceID = invalidParam("device_id must be 1 to 255 characters: letters, digits or ._~!$&'()*+,;=:@/-")

// rateLimited is the 429 of a refused password check.
func rateLimited(retryAfter time.Duration) *matrixError {
	e := newMatrixError(http.StatusTooManyRequests, errcodeLimitExceeded, "Too many login attempts")
	// Round up: a client that waits exactly this long must get through.
	e.RetryAfterMS = int64((retryAfter + time.Millisecond - 1) / time.Millisecond)
	return e
}

// The errors of the token-authenticated endpoints.
var (
	errInternal            = newMatrixError(http.StatusInternalServerError, errcodeUnknown, "Internal error")
	errMissingAccessToken  = newMatrixError(http.StatusUnauthorized, errcodeMissingToken, "Missing access token")
	errInvalidAccessToken  = newMatrixError(http.StatusUnauthorized, errcodeUnknownToken, "Invalid access token")
	errInvalidRefreshToken = newMatrixError(http.StatusUnauthorized, errcodeUnknownToken, "Invalid refresh token")
	errLogoutAllDisabled   = newMatrixError(http.StatusNotFound, errcodeUnrecognized,
		"The /logout/all endpoint is not supported by this deployment")
)

// writeError writes e as a Matrix error body.
func writeError(w http.ResponseWriter, e *matrixError) {
	if e.RetryAfterMS > 0 {
		// The header is for generic HTTP clients; Matrix clients read the
		// body. Whole seconds, rounded up.
		w.Header().Set("Retry-After", strconv.FormatInt((e.RetryAfterMS+999)/1000, 10))
	}
	writeJSON(w, e.Status, e)
}

// writeJSON writes an API response. Responses carry credentials, so no
// cache may keep them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// fault logs an unexpected failure and returns the opaque 500 the client
// sees.
func (h *Handler) fault(ctx context.Context, e *matrixError, what string, err error) *matrixError {
	requestctx.Logger(ctx).ErrorContext(ctx, what, "error", err)
	return e
}
