package provisioning_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapse"
	"mas/internal/provisioning"
	"mas/internal/store"
	"mas/internal/testdb"
)

const pathUpsertDevice = "/_synapse/mas/upsert_device"

type pendingEnv struct {
	t     *testing.T
	ctx   context.Context
	clock *clocktest.Fake
	store store.Store
	hs    *homeservertest.Server
	conn  *synapse.Client
	user  *domain.User
}

func forEachBackend(t *testing.T, fn func(t *testing.T, e *pendingEnv)) {
	for _, backend := range []string{testdb.SQLite, testdb.Postgres} {
		t.Run(backend, func(t *testing.T) {
			e := &pendingEnv{t: t, ctx: context.Background(), clock: clocktest.New(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))}
			e.store, _ = testdb.OpenBackend(t, backend, e.clock)
			e.hs = homeservertest.New(t, homeservertest.Options{})
			conn, err := synapse.New(synapse.Options{
				Endpoint: e.hs.URL() + "/", ServerName: e.hs.ServerName(), Secret: e.hs.Secret(), Timeout: 10 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			e.conn = conn
			if e.user, err = e.store.Users().Add(e.ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			e.hs.AddUser("alice")
			fn(t, e)
		})
	}
}

func (e *pendingEnv) pending() []string {
	e.t.Helper()
	l, err := e.store.PendingDevices().ListActive(e.ctx, e.user.ID, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// syncJobs counts the queued sync-devices jobs.
func (e *pendingEnv) syncJobs() int {
	e.t.Helper()
	var n int
	err := testdb.DB(e.t, e.store).QueryRowContext(e.ctx,
		`SELECT COUNT(*) FROM river_job WHERE kind = $1`, domain.SyncDevicesJob{}.Kind()).Scan(&n)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *pendingEnv) create(devices ...string) *provisioning.PendingDevices {
	e.t.Helper()
	p, err := provisioning.CreatePendingDevices(e.ctx, e.store, e.conn, e.clock, e.user, devices, "Phone")
	if err != nil {
		e.t.Fatalf("creating devices: %v", err)
	}
	return p
}

// The marks are committed before the homeserver hears of the devices, and
// the transaction that calls Done removes them.
func TestPendingDevicesCommitted(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *pendingEnv) {
		var seen [][]string
		var hookErr error
		e.hs.SetHook(pathUpsertDevice, func(*http.Request, []byte) *homeservertest.Response {
			// On the fake's goroutine: record, never fail the test here.
			l, err := e.store.PendingDevices().ListActive(e.ctx, e.user.ID, e.clock.Now())
			seen, hookErr = append(seen, l), errors.Join(hookErr, err)
			return nil
		})
		p := e.create("PHONE", "LAPTOP")
		if hookErr != nil {
			t.Fatal(hookErr)
		}
		want := []string{"LAPTOP", "PHONE"}
		if len(seen) != 2 || !slices.Equal(seen[0], want) || !slices.Equal(seen[1], want) {
			t.Fatalf("marks seen by the homeserver calls = %v, want %v at each", seen, want)
		}
		if devs := e.hs.Devices("alice"); !slices.Equal(devs, want) {
			t.Fatalf("devices on the homeserver = %v", devs)
		}

		// A rolled back commit leaves the marks.
		tx, err := e.store.Begin(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Done(e.ctx, tx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := e.pending(); !slices.Equal(got, want) {
			t.Fatalf("marks after a rolled back Done = %v", got)
		}
		if err := store.WithTx(e.ctx, e.store, func(tx store.Tx) error { return p.Done(e.ctx, tx) }); err != nil {
			t.Fatal(err)
		}
		if got := e.pending(); len(got) != 0 {
			t.Fatalf("marks after Done = %v", got)
		}
		if n := e.syncJobs(); n != 0 {
			t.Fatalf("%d sync jobs after a prompt login, want 0", n)
		}
	})
}

// A login that took longer than the marks live may have lost its devices
// to a sync; committing queues a sync that restores them.
func TestPendingDevicesSlowLogin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *pendingEnv) {
		p := e.create("PHONE")
		e.clock.Advance(provisioning.PendingDeviceTTL)
		if err := store.WithTx(e.ctx, e.store, func(tx store.Tx) error { return p.Done(e.ctx, tx) }); err != nil {
			t.Fatal(err)
		}
		if n := e.syncJobs(); n != 1 {
			t.Fatalf("%d sync jobs after a slow login, want 1", n)
		}
	})
}

// Abort removes the marks so that the orphan devices can be synced away,
// even when the request was cancelled.
func TestPendingDevicesAbort(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *pendingEnv) {
		p := e.create("PHONE")
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		if err := p.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.pending(); len(got) != 0 {
			t.Fatalf("marks after Abort = %v", got)
		}
		// The device stays for the caller's sync to remove.
		if devs := e.hs.Devices("alice"); !slices.Equal(devs, []string{"PHONE"}) {
			t.Fatalf("devices on the homeserver = %v", devs)
		}
		if n := e.syncJobs(); n != 0 {
			t.Fatalf("%d sync jobs queued by Abort, want 0 (the caller queues its own)", n)
		}
	})
}

// When the homeserver fails, nothing is left behind: no marks, no jobs.
func TestPendingDevicesHomeserverFailure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *pendingEnv) {
		e.hs.SetHook(pathUpsertDevice, func(_ *http.Request, body []byte) *homeservertest.Response {
			var req struct {
				DeviceID string `json:"device_id"`
			}
			_ = json.Unmarshal(body, &req)
			if req.DeviceID == "LAPTOP" {
				return homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "boom")
			}
			return nil
		})
		p, err := provisioning.CreatePendingDevices(e.ctx, e.store, e.conn, e.clock, e.user, []string{"PHONE", "LAPTOP"}, "Phone")
		if err == nil || p != nil {
			t.Fatalf("CreatePendingDevices = %v, %v; want an error", p, err)
		}
		if got := e.pending(); len(got) != 0 {
			t.Fatalf("marks after a failure = %v", got)
		}
		if n := e.syncJobs(); n != 0 {
			t.Fatalf("%d sync jobs after a failure, want 0", n)
		}
	})
}

// A login without devices touches neither the database nor the homeserver.
func TestPendingDevicesNone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *pendingEnv) {
		p := e.create()
		if p != nil {
			t.Fatalf("CreatePendingDevices without devices = %+v, want nil", p)
		}
		if err := store.WithTx(e.ctx, e.store, func(tx store.Tx) error { return p.Done(e.ctx, tx) }); err != nil {
			t.Fatal(err)
		}
		if err := p.Abort(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(e.hs.CallLog()); n != 0 {
			t.Fatalf("%d homeserver calls, want 0", n)
		}
	})
}
