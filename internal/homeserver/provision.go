package homeserver

// ProvisionRequest describes the state the service wants a user to have on
// the homeserver. Each optional attribute is a Change, so "leave it alone",
// "set it" and "remove it" stay distinct all the way to the wire: an empty
// email list must be sent as such, not dropped.
type ProvisionRequest struct {
	Localpart   string
	DisplayName Change[string]
	AvatarURL   Change[string]
	Emails      Change[[]string]
	// Locked is always sent: the service is the source of truth for the lock
	// and re-asserts it on every provisioning.
	Locked bool
}

type changeKind uint8

const (
	keep changeKind = iota
	set
	unset
)

// Change is a three-way update of one attribute. The zero value leaves the
// attribute unchanged.
type Change[T any] struct {
	kind  changeKind
	value T
}

// Set returns a Change that sets the attribute to v.
func Set[T any](v T) Change[T] { return Change[T]{kind: set, value: v} }

// Unset returns a Change that removes the attribute.
func Unset[T any]() Change[T] { return Change[T]{kind: unset} }

// Value returns the value to set and true, or the zero value and false when
// the change does not set anything.
func (c Change[T]) Value() (T, bool) {
	return c.value, c.kind == set
}

// IsUnset reports whether the change removes the attribute.
func (c Change[T]) IsUnset() bool { return c.kind == unset }

// IsKeep reports whether the change leaves the attribute alone.
func (c Change[T]) IsKeep() bool { return c.kind == keep }
