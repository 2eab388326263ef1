package homeserver

import (
	"errors"
	"fmt"
)

// Matrix error codes the service reacts to. Others are passed through in
// Error.ErrCode untouched.
const (
	ErrCodeNotFound        = "M_NOT_FOUND"
	ErrCodeInvalidUsername = "M_INVALID_USERNAME"
	ErrCodeUserInUse       = "M_USER_IN_USE"
	ErrCodeExclusive       = "M_EXCLUSIVE"
	ErrCodeMissingToken    = "M_MISSING_TOKEN"
	ErrCodeUnknown         = "M_UNKNOWN"
)

// ErrUserNotFound is matched (with errors.Is) by an *Error for a 404
// M_NOT_FOUND answer, which is how Synapse reports an unknown user. A 404
// with another code (typically M_UNRECOGNIZED: the MAS API is not enabled)
// deliberately does not match, so a misconfigured homeserver is not mistaken
// for a missing user.
var ErrUserNotFound = errors.New("user not found on the homeserver")

// Error is a non-success answer from the homeserver.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// ErrCode is the Matrix errcode, empty when the body was not a Matrix
	// error (for example an HTML page from a reverse proxy).
	ErrCode string
	// Message is the Matrix "error" text or, without a Matrix error, a
	// description quoting the start of the body.
	Message string
	// Endpoint is the request path that failed, without the query.
	Endpoint string
}

func (e *Error) Error() string {
	if e.ErrCode != "" {
		return fmt.Sprintf("homeserver: %s: HTTP %d %s: %s", e.Endpoint, e.Status, e.ErrCode, e.Message)
	}
	return fmt.Sprintf("homeserver: %s: HTTP %d: %s", e.Endpoint, e.Status, e.Message)
}

// Is makes errors.Is(err, ErrUserNotFound) work on homeserver answers.
func (e *Error) Is(target error) bool {
	return target == ErrUserNotFound && e.Status == 404 && e.ErrCode == ErrCodeNotFound
}
