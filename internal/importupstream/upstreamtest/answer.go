package upstreamtest

import (
	"slices"
	"time"

	"mas/internal/domain"
)

// Answer is what upstream's introspection endpoint says about a token,
// asked as the homeserver asks (with X-MAS-Supports-Device-Id: 1). Fields
// other than Active are only meaningful when it is true.
type Answer struct {
	Active   bool
	Sub      string // the user's ULID; "" for a client's own session
	Username string
	ClientID string // "legacy" for compatibility tokens
	// Scope is the set of scope tokens, sorted.
	Scope []string
	// DeviceID is the device_id field: set for compatibility tokens only
	// (OAuth 2.0 sessions carry their device in the scope).
	DeviceID string
}

// The rules below are upstream's (its introspection handler): a token is
// active while it is neither revoked, consumed nor expired, its session is
// not finished (or revoked), and its user is neither locked nor
// deactivated.

type userState struct {
	id       domain.ID
	username string
	locked   bool
	deact    bool
}

func (u *userState) valid() bool { return !u.locked && !u.deact }

func alive(expires *time.Time, now time.Time) bool { return expires == nil || expires.After(now) }

// oauthAnswer is the answer for an OAuth 2.0 access or refresh token whose
// own state allows it (tokenOK).
func oauthAnswer(tokenOK bool, s *oauthSession) Answer {
	if !tokenOK || s.finished || (s.user != nil && !s.user.valid()) {
		return Answer{}
	}
	a := Answer{Active: true, ClientID: s.client.String(), Scope: normalised(s.scope)}
	if s.user != nil {
		a.Sub, a.Username = s.user.id.String(), s.user.username
	}
	return a
}

// compatAnswer: compat tokens carry both API scopes, the admin scope when
// the session has it, and the device in device_id.
func compatAnswer(tokenOK bool, s *compatSession) Answer {
	if !tokenOK || s.finished || !s.user.valid() {
		return Answer{}
	}
	scope := []string{domain.ScopeMatrixAPI, domain.ScopeMatrixAPIUnstable}
	if s.admin {
		scope = append(scope, domain.ScopeSynapseAdmin)
	}
	slices.Sort(scope)
	return Answer{Active: true, Sub: s.user.id.String(), Username: s.user.username, ClientID: "legacy",
		Scope: scope, DeviceID: s.device}
}

// personalAnswer: the actor is the token's user; a session a user owns
// dies with that user's account; a client-owned one names the client.
func personalAnswer(tokenOK bool, s *personalSession) Answer {
	if !tokenOK || s.revoked || !s.actor.valid() || (s.ownerUser != nil && !s.ownerUser.valid()) {
		return Answer{}
	}
	a := Answer{Active: true, Sub: s.actor.id.String(), Username: s.actor.username, Scope: normalised(s.scope)}
	if s.ownerClient != nil {
		a.ClientID = s.ownerClient.String()
	}
	return a
}

// normalised adds the stable or unstable twin of every Matrix API and
// device scope, as upstream does so that either kind of homeserver
// understands the token; the result is sorted and without duplicates.
func normalised(scope []string) []string {
	var out []string
	for _, s := range scope {
		out = append(out, s)
		switch s {
		case domain.ScopeMatrixAPI:
			out = append(out, domain.ScopeMatrixAPIUnstable)
		case domain.ScopeMatrixAPIUnstable:
			out = append(out, domain.ScopeMatrixAPI)
		default:
			if id, ok := domain.DeviceID(s); ok {
				out = append(out, domain.ScopeDevicePrefix+id, domain.ScopeDevicePrefixUnstable+id)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
