package homeservertest

import (
	"maps"
	"slices"
	"time"
)

// user is the fake's record of one account: what Synapse spreads over the
// users, profiles, user_threepids and devices tables.
type user struct {
	localpart   string
	displayName string // "" = none; Synapse stores "" as NULL
	avatarURL   string
	emails      map[string]struct{}
	locked      bool
	deactivated bool
	erased      bool
	suspended   bool
	// crossSigningResetUntil is when the MAS-granted window for replacing
	// the master cross-signing key without UIA closes.
	crossSigningResetUntil time.Time
	devices                map[string]*device
}

type device struct {
	displayName string
	// dehydrated marks the MSC3814 dehydrated device, which sync_devices
	// must never delete.
	dehydrated bool
}

func newUser(localpart string) *user {
	return &user{
		localpart:   localpart,
		displayName: localpart,
		emails:      map[string]struct{}{},
		devices:     map[string]*device{},
	}
}

// FakeUser is a snapshot of a user on the fake homeserver.
type FakeUser struct {
	UserID      string
	Localpart   string
	DisplayName string // "" when unset
	AvatarURL   string // "" when unset
	Emails      []string
	Locked      bool
	Deactivated bool
	// Erased is set by delete_user with erase=true and cleared by
	// reactivate_user.
	Erased    bool
	Suspended bool
	// CrossSigningResetAllowedUntil is zero unless allow_cross_signing_reset
	// was called; it is then ten minutes after that call (per Options.Now).
	CrossSigningResetAllowedUntil time.Time
	// Devices is sorted; DeviceDisplayNames only has named devices.
	Devices            []string
	DeviceDisplayNames map[string]string
}

func (s *Server) snapshot(u *user) FakeUser {
	names := map[string]string{}
	for id, d := range u.devices {
		if d.displayName != "" {
			names[id] = d.displayName
		}
	}
	return FakeUser{
		UserID:                        s.MXID(u.localpart),
		Localpart:                     u.localpart,
		DisplayName:                   u.displayName,
		AvatarURL:                     u.avatarURL,
		Emails:                        slices.Sorted(maps.Keys(u.emails)),
		Locked:                        u.locked,
		Deactivated:                   u.deactivated,
		Erased:                        u.erased,
		Suspended:                     u.suspended,
		CrossSigningResetAllowedUntil: u.crossSigningResetUntil,
		Devices:                       slices.Sorted(maps.Keys(u.devices)),
		DeviceDisplayNames:            names,
	}
}

// User returns the current state of a user.
func (s *Server) User(localpart string) (FakeUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[localpart]
	if !ok {
		return FakeUser{}, false
	}
	return s.snapshot(u), true
}

// Users returns every user, sorted by localpart.
func (s *Server) Users() []FakeUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FakeUser, 0, len(s.users))
	for _, lp := range slices.Sorted(maps.Keys(s.users)) {
		out = append(out, s.snapshot(s.users[lp]))
	}
	return out
}

// Devices returns a user's device IDs, sorted; nil for an unknown user.
func (s *Server) Devices(localpart string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[localpart]
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(u.devices))
}

// AddUser creates a user directly, as if registered before the test (for
// example by syn2mas), with the localpart as display name. It is a no-op
// for an existing user.
func (s *Server) AddUser(localpart string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[localpart]; !ok {
		s.users[localpart] = newUser(localpart)
	}
}

// AddDevice gives an existing user a device directly. It reports false when
// the user does not exist.
func (s *Server) AddDevice(localpart, deviceID string) bool {
	return s.addDevice(localpart, deviceID, false)
}

// AddDehydratedDevice gives an existing user an MSC3814 dehydrated device,
// which sync_devices leaves alone. It reports false when the user does not
// exist.
func (s *Server) AddDehydratedDevice(localpart, deviceID string) bool {
	return s.addDevice(localpart, deviceID, true)
}

func (s *Server) addDevice(localpart, deviceID string, dehydrated bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[localpart]
	if !ok {
		return false
	}
	u.devices[deviceID] = &device{dehydrated: dehydrated}
	return true
}

// SetSuspended flips the suspension flag reported by query_user.
func (s *Server) SetSuspended(localpart string, suspended bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[localpart]
	if ok {
		u.suspended = suspended
	}
	return ok
}
