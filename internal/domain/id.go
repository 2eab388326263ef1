package domain

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID identifies every entity. It is a ULID: 48 bits of milliseconds and 80
// random bits, written as 26 Crockford base32 characters.
type ID = ulid.ULID

// ZeroID is the empty ID, used to mean "none" in optional references.
var ZeroID ID

// ParseID parses the 26-character text form of an ID.
func ParseID(s string) (ID, error) {
	id, err := ulid.ParseStrict(s)
	if err != nil {
		return ZeroID, fmt.Errorf("invalid ULID %q: %w", s, err)
	}
	return id, nil
}

// IDGenerator makes new IDs from a clock time and an entropy source. It is
// safe for concurrent use.
type IDGenerator struct {
	mu      sync.Mutex
	entropy io.Reader
}

// NewIDGenerator returns a generator reading its randomness from r. IDs
// made within the same millisecond increase monotonically, so ordering by
// ID is ordering by creation even under a frozen test clock.
func NewIDGenerator(r io.Reader) *IDGenerator {
	return &IDGenerator{entropy: ulid.Monotonic(r, 0)}
}

// New returns an ID for the given instant.
func (g *IDGenerator) New(t time.Time) ID {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, err := ulid.New(ulid.Timestamp(t), g.entropy)
	if err != nil {
		// Only a failing entropy source gets here; crypto/rand does not fail.
		panic(fmt.Sprintf("generating ULID: %v", err))
	}
	return id
}

// IDTime returns the creation instant encoded in an ID.
func IDTime(id ID) time.Time { return ulid.Time(id.Time()).UTC() }

// ErrInvalidTransition is returned when a lifecycle change is not allowed
// from the entity's current state (for example exchanging a grant twice).
var ErrInvalidTransition = errors.New("invalid state transition")

func transitionError[S ~string](entity string, from, to S) error {
	return fmt.Errorf("%w: %s cannot go from %s to %s", ErrInvalidTransition, entity, from, to)
}

// Stage is where a grant, a login or an upstream login attempt is in its
// lifecycle.
type Stage string

// The stages. Each kind of object uses the subset its lifecycle has.
const (
	StagePending   Stage = "pending"
	StageFulfilled Stage = "fulfilled"
	StageExchanged Stage = "exchanged"
	StageCancelled Stage = "cancelled"
	StageRejected  Stage = "rejected"
	StageConsumed  Stage = "consumed"
)
