// Package domain holds the entities of the authentication service and the
// rules of their lifecycles. It performs no I/O: storage, HTTP and jobs
// depend on it, never the other way round.
//
// Every entity is identified by a ULID. State changes (a grant being
// fulfilled, a token being consumed, a session being finished) are methods
// that check the current state and return ErrInvalidTransition when the
// change is not allowed, so that no caller can skip a step.
package domain
