package jobs_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"mas/internal/domain"
	"mas/internal/jobs"
	"mas/internal/store"
	"mas/internal/testdb"
)

const kindCleanupPending = "cleanup-pending-devices"

// A device a login has marked pending (it is creating the device and has
// not committed its session yet) survives a device sync; an expired mark
// protects nothing.
func TestSyncDevicesKeepsPendingDevices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.start(t, jobs.Options{})
		alice := e.addUser(t, "alice", nil)
		e.hs.AddUser("alice")
		for _, d := range []string{"SESSIONDEV", "PENDINGDEV", "EXPIREDDEV", "STALEDEV"} {
			e.hs.AddDevice("alice", d)
		}
		now := time.Now()
		err := store.WithTx(ctx, e.store, func(tx store.Tx) error {
			if err := tx.CompatSessions().Add(ctx, &domain.CompatSession{UserID: alice.ID, DeviceID: "SESSIONDEV"}); err != nil {
				return err
			}
			if err := tx.PendingDevices().Add(ctx, alice.ID, "PENDINGDEV", now.Add(5*time.Minute)); err != nil {
				return err
			}
			if err := tx.PendingDevices().Add(ctx, alice.ID, "EXPIREDDEV", now.Add(-time.Minute)); err != nil {
				return err
			}
			return tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: alice.ID})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.waitJob(t, kindSync, alice.ID, rivertype.JobStateCompleted)
		if devs := e.hs.Devices("alice"); !slices.Equal(devs, []string{"PENDINGDEV", "SESSIONDEV"}) {
			t.Errorf("devices on the homeserver = %v, want [PENDINGDEV SESSIONDEV]", devs)
		}
		// Nothing changed while it pushed: one push.
		if n := e.hs.Calls(pathSync); n != 1 {
			t.Errorf("sync_devices called %d times, want 1", n)
		}
	})
}

// A sync whose device list went stale while its request was on its way
// (a login created and committed a device meanwhile) pushes again, so the
// homeserver does not lose the new device.
func TestSyncDevicesPushesAgainWhenDevicesAppeared(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.start(t, jobs.Options{})
		alice := e.addUser(t, "alice", nil)
		e.hs.AddUser("alice")
		gate := e.hs.Block(pathSync, "alice")
		t.Cleanup(gate.Release)
		if err := e.store.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: alice.ID}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-gate.Arrived():
		case <-time.After(waitTimeout):
			t.Fatal("timed out waiting for the sync to reach the homeserver")
		}
		// What a login does meanwhile: the device is created on the
		// homeserver and its session committed.
		e.hs.AddDevice("alice", "NEWDEV")
		if err := e.store.CompatSessions().Add(ctx, &domain.CompatSession{UserID: alice.ID, DeviceID: "NEWDEV"}); err != nil {
			t.Fatal(err)
		}
		gate.Release()
		e.waitJob(t, kindSync, alice.ID, rivertype.JobStateCompleted)
		if devs := e.hs.Devices("alice"); !slices.Equal(devs, []string{"NEWDEV"}) {
			t.Errorf("devices on the homeserver = %v, want [NEWDEV]", devs)
		}
		if n := e.hs.Calls(pathSync); n != 2 {
			t.Errorf("sync_devices called %d times, want 2", n)
		}
	})
}

// The cleanup job deletes expired marks and keeps live ones.
func TestCleanupPendingDevices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.start(t, jobs.Options{})
		alice := e.addUser(t, "alice", nil)
		now := time.Now()
		err := store.WithTx(ctx, e.store, func(tx store.Tx) error {
			if err := tx.PendingDevices().Add(ctx, alice.ID, "LIVE", now.Add(5*time.Minute)); err != nil {
				return err
			}
			if err := tx.PendingDevices().Add(ctx, alice.ID, "DEAD", now.Add(-time.Minute)); err != nil {
				return err
			}
			return tx.Jobs().Enqueue(ctx, domain.CleanupPendingDevicesJob{})
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the cleanup job to complete", func() (bool, string) {
			res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds(kindCleanupPending).First(10))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Jobs) != 1 {
				return false, "no job"
			}
			return res.Jobs[0].State == rivertype.JobStateCompleted, describeJob(res.Jobs[0])
		})
		rows, err := testdb.DB(t, e.store).QueryContext(ctx, `SELECT device_id FROM user_pending_devices ORDER BY device_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var left []string
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			left = append(left, d)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(left, []string{"LIVE"}) {
			t.Errorf("marks left = %v, want [LIVE]", left)
		}
	})
}

// The cleanup is one of the default schedules.
func TestDefaultSchedulesCleanUpPendingDevices(t *testing.T) {
	for _, s := range jobs.DefaultSchedules() {
		if s.Job().Kind() == kindCleanupPending {
			return
		}
	}
	t.Fatalf("no default schedule runs %s", kindCleanupPending)
}
