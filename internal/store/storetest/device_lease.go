package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"mas/internal/domain"
)

func init() {
	register("DeviceLease",
		test{"SyncAlone", testDeviceLeaseSyncAlone},
		test{"LoginsShare", testDeviceLeaseLoginsShare},
		test{"Expiry", testDeviceLeaseExpiry},
	)
	registerConcurrency(test{"DeviceLeaseRace", testDeviceLeaseRace})
}

// lease is a test's view of one user's device lease at a fixed instant.
type lease struct {
	t    *testing.T
	h    *H
	user domain.ID
	now  time.Time
}

func newLease(t *testing.T, h *H, name string) *lease {
	u := mustGet[*domain.User](t)(h.S.Users().Add(context.Background(), name))
	return &lease{t: t, h: h, user: u.ID, now: h.Clock.Now()}
}

func (l *lease) login() bool {
	l.t.Helper()
	return mustGet[bool](l.t)(l.h.S.PendingDevices().AcquireLoginLease(context.Background(), l.user, l.now, l.now.Add(time.Minute)))
}

func (l *lease) sync(holder string) bool {
	l.t.Helper()
	return mustGet[bool](l.t)(l.h.S.PendingDevices().AcquireSyncLease(context.Background(), l.user, holder, l.now, l.now.Add(time.Minute)))
}

func (l *lease) loginDone() {
	l.t.Helper()
	must(l.t, l.h.S.PendingDevices().ReleaseLoginLease(context.Background(), l.user))
}

func (l *lease) syncDone(holder string) {
	l.t.Helper()
	must(l.t, l.h.S.PendingDevices().ReleaseSyncLease(context.Background(), l.user, holder))
}

func testDeviceLeaseSyncAlone(t *testing.T, h *H) {
	alice, bob := newLease(t, h, "alice"), newLease(t, h, "bob")
	if !alice.sync("one") {
		t.Fatal("a free lease was not granted to a sync")
	}
	if alice.sync("two") || alice.sync("one") || alice.login() {
		t.Fatal("a lease held by a sync was granted again")
	}
	if !bob.sync("two") {
		t.Fatal("another user's lease is not independent")
	}
	alice.syncDone("two") // not the holder: no effect
	if alice.login() {
		t.Fatal("a release by another holder freed the lease")
	}
	alice.syncDone("one")
	if !alice.login() {
		t.Fatal("a released lease was not granted to a login")
	}
}

func testDeviceLeaseLoginsShare(t *testing.T, h *H) {
	l := newLease(t, h, "alice")
	if !l.login() || !l.login() {
		t.Fatal("two logins could not share the lease")
	}
	if l.sync("s") {
		t.Fatal("a sync got the lease while logins held it")
	}
	l.loginDone()
	if l.sync("s") {
		t.Fatal("a sync got the lease while one login still held it")
	}
	l.loginDone()
	l.loginDone() // one too many: harmless
	if !l.sync("s") {
		t.Fatal("a sync did not get the lease once the logins were done")
	}
	l.syncDone("s")
	if !l.login() {
		t.Fatal("the count went below zero")
	}
	if l.sync("s") {
		t.Fatal("a sync got the lease while a login held it after an extra release")
	}
}

// Holders that died stop blocking once their hold expired; at the very
// instant of expiry they still hold.
func testDeviceLeaseExpiry(t *testing.T, h *H) {
	l := newLease(t, h, "alice")
	if !l.sync("dead") {
		t.Fatal("not granted")
	}
	l.now = l.now.Add(time.Minute)
	if l.login() || l.sync("new") {
		t.Fatal("a sync's lease was taken at its expiry instant")
	}
	l.now = l.now.Add(time.Microsecond)
	if !l.login() {
		t.Fatal("an expired sync lease still blocks logins")
	}
	l.now = l.now.Add(time.Minute + time.Microsecond) // that login died too
	if !l.sync("new") {
		t.Fatal("an expired login share still blocks syncs")
	}
	l.syncDone("dead") // the old holder, too late
	if l.login() {
		t.Fatal("the dead sync's release freed the new sync's lease")
	}
}

// testDeviceLeaseRace: of many syncs at once, exactly one holds the lease.
func testDeviceLeaseRace(t *testing.T, h *H) {
	l := newLease(t, h, "alice")
	const takers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range takers {
		wg.Go(func() {
			ok, err := h.S.PendingDevices().AcquireSyncLease(context.Background(), l.user, fmt.Sprint("holder-", i), l.now, l.now.Add(time.Minute))
			if err != nil {
				t.Errorf("taker %d: %v", i, err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d syncs got the lease, want 1", won)
	}
}
