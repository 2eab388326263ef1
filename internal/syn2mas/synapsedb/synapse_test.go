package synapsedb_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"mas/internal/homeserver/synapsetest"
	"mas/internal/passwords"
	"mas/internal/syn2mas/synapsedb"
)

// What real Synapse writes (legacy mode, on SQLite and PostgreSQL) reads
// as the fixture does: users with their flags and peppered bcrypt hashes,
// devices, plain tokens and refresh pairs. Shared while Synapse runs,
// exclusive once it is stopped.
func TestRealSynapse(t *testing.T) {
	synapsetest.Require(t)
	for _, postgres := range []bool{false, true} {
		driver := map[bool]string{false: "sqlite", true: "postgres"}[postgres]
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			s := synapsetest.New(t, synapsetest.Options{
				Mode: synapsetest.Legacy, Postgres: postgres, Pepper: "a pepper", GuestAccess: true, AppService: "bridge",
			})
			const password = "ﬁne password" // NFKC: "fine password"
			plain, plainDevice, err := s.RegisterUser(ctx, "alice", password, false)
			must(t, err)
			_, _, err = s.RegisterUser(ctx, "root", "root password", true)
			must(t, err)
			login, err := s.Do(ctx, http.MethodPost, "/_matrix/client/v3/login", "", map[string]any{
				"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": "alice"},
				"password": password, "refresh_token": true,
			})
			must(t, err)
			access, _ := login.Body["access_token"].(string)
			refresh, _ := login.Body["refresh_token"].(string)
			refreshDevice, _ := login.Body["device_id"].(string)
			if login.Status != http.StatusOK || refresh == "" {
				t.Fatalf("login with refresh token: %s", login)
			}
			guest, err := s.Do(ctx, http.MethodPost, "/_matrix/client/v3/register?kind=guest", "", map[string]any{})
			must(t, err)
			guestID, _ := guest.Body["user_id"].(string)
			if guest.Status != http.StatusOK {
				t.Fatalf("guest registration: %s", guest)
			}
			_, err = s.RegisterAppServiceUser(ctx, "bridge_bob")
			must(t, err)

			check := func(t *testing.T, src synapsedb.Source) {
				t.Helper()
				l := listAll(t, src)
				alice, root := l.users[s.MXID("alice")], l.users[s.MXID("root")]
				if alice.PasswordHash == nil || !strings.HasPrefix(*alice.PasswordHash, "$2b$") || alice.Admin || alice.IsGuest || alice.CreationTS < 1700000000 {
					t.Errorf("alice: %+v", alice)
				} else {
					m, err := passwords.New([]passwords.Scheme{{Version: 1, Algorithm: passwords.AlgorithmBcrypt, UnicodeNormalization: true, Secret: []byte(s.Pepper)}}, passwords.Options{})
					must(t, err)
					if _, err := m.Verify(ctx, 1, *alice.PasswordHash, password); err != nil {
						t.Errorf("alice's Synapse hash does not verify as scheme 1: %v", err)
					}
				}
				if !root.Admin || root.Locked || root.Deactivated {
					t.Errorf("root: %+v", root)
				}
				if g := l.users[guestID]; !g.IsGuest || g.PasswordHash != nil {
					t.Errorf("guest %s: %+v", guestID, g)
				}
				if b := l.users[s.MXID("bridge_bob")]; b.AppserviceID == nil {
					t.Errorf("bridge user: %+v", b)
				}
				devices := map[string]bool{}
				for _, d := range l.devices {
					devices[d.UserID+"/"+d.DeviceID] = true
				}
				if !devices[s.MXID("alice")+"/"+plainDevice] || !devices[s.MXID("alice")+"/"+refreshDevice] {
					t.Errorf("alice's devices %s and %s not among %v", plainDevice, refreshDevice, devices)
				}
				found := false
				for _, tok := range l.unrefreshable {
					found = found || (tok.Token == plain && tok.DeviceID != nil && *tok.DeviceID == plainDevice)
				}
				if !found || !strings.HasPrefix(plain, "syt_") {
					t.Errorf("alice's access token %s not listed", plain)
				}
				found = false
				for _, p := range l.refreshable {
					found = found || (p.AccessToken == access && p.RefreshToken == refresh && p.DeviceID == refreshDevice && p.ValidUntilMS != nil)
				}
				if !found || !strings.HasPrefix(refresh, "syr_") {
					t.Errorf("alice's refresh pair %s/%s not among %+v", access, refresh, l.refreshable)
				}
			}
			t.Run("shared, Synapse running", func(t *testing.T) {
				src := open(t, driver, s.DatabaseURI(), true)
				check(t, src)
				must(t, src.Close())
			})
			must(t, s.Halt())
			t.Run("exclusive, Synapse stopped", func(t *testing.T) {
				check(t, open(t, driver, s.DatabaseURI(), false))
			})
		})
	}
}
