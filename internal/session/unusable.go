package session

import (
	"net/http"

	"mas/internal/domain"
)

// UnusableUser returns the user of the request's active browser session
// when that user is locked or deactivated, which Current reports as no
// session at all; nil otherwise. The account pages use it to say why the
// account cannot be used instead of asking for a login that must fail.
func (m *Manager) UnusableUser(r *http.Request) (*domain.User, error) {
	cur, err := m.active(r)
	if cur == nil || err != nil || cur.User.IsValid() {
		return nil, err
	}
	return cur.User, nil
}
