package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/riverqueue/river"

	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/provisioning"
	"mas/internal/store"
)

// provisionUserWorker creates or updates the user on the homeserver with
// the service's view of it (emails, lock), then resynchronises its devices.
type provisionUserWorker struct {
	river.WorkerDefaults[domain.ProvisionUserJob]
	d Deps
}

func (w *provisionUserWorker) Work(ctx context.Context, job *river.Job[domain.ProvisionUserJob]) error {
	user, err := w.d.Store.Users().Lookup(ctx, job.Args.UserID)
	if errors.Is(err, store.ErrNotFound) {
		// The user was deleted since: nothing left to provision.
		return river.JobCancel(fmt.Errorf("user %s no longer exists", job.Args.UserID))
	}
	if err != nil {
		return err
	}
	req, err := provisioning.Request(ctx, w.d.Store, user)
	if err != nil {
		return err
	}
	if job.Args.SetDisplayName != "" {
		req.DisplayName = homeserver.Set(job.Args.SetDisplayName)
	}
	created, err := w.d.Homeserver.ProvisionUser(ctx, req)
	if err != nil {
		return fmt.Errorf("provisioning %s: %w", user.Username, err)
	}
	w.d.Logger.Info("provisioned user on the homeserver", "user_id", user.ID.String(), "username", user.Username, "created", created)
	return w.d.Store.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: user.ID})
}

// syncDevicesWorker pushes the set of devices the user's active sessions
// hold. Ending a session schedules it, so a device disappears from the
// homeserver (and Synapse drops its cached token) when its last session ends.
type syncDevicesWorker struct {
	river.WorkerDefaults[domain.SyncDevicesJob]
	d Deps
}

// syncDevicesRounds bounds how many times one job pushes the device list
// when logins keep adding devices while it pushes; past that, the job
// fails and is retried later.
const syncDevicesRounds = 3

// Work pushes the user's devices while holding the user's device lease, so
// that no login creates a device between the reading and the pushing (see
// provisioning.LockDevicesForSync). It then reads them again: a login that died
// after creating its device and whose mark expired, or a process whose
// clock disagrees, can still change the list; a device that appeared is
// pushed again, as the homeserver creates the listed devices it lacks.
func (w *syncDevicesWorker) Work(ctx context.Context, job *river.Job[domain.SyncDevicesJob]) error {
	user, err := w.d.Store.Users().Lookup(ctx, job.Args.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("user %s no longer exists", job.Args.UserID))
	}
	if err != nil {
		return err
	}
	// Logins creating devices of this user wait meanwhile (see
	// provisioning.LockDevicesForSync), so the list read here stays true until
	// it is pushed.
	unlock, err := provisioning.LockDevicesForSync(ctx, w.d.Store, w.d.Clock, user.ID)
	if err != nil {
		return err
	}
	defer unlock()
	devices, err := activeDevices(ctx, w.d.Store, w.d.Clock.Now(), user.ID)
	if err != nil {
		return err
	}
	for range syncDevicesRounds {
		if err := w.d.Homeserver.SyncDevices(ctx, user.Username, devices); err != nil {
			return fmt.Errorf("syncing devices of %s: %w", user.Username, err)
		}
		after, err := activeDevices(ctx, w.d.Store, w.d.Clock.Now(), user.ID)
		if err != nil {
			return err
		}
		// Devices that disappeared meanwhile are left to the sync that
		// ending their session queued.
		if !gainedDevices(devices, after) {
			return nil
		}
		devices = after
	}
	return fmt.Errorf("syncing devices of %s: the devices kept changing while syncing", user.Username)
}

// gainedDevices reports whether after (sorted) holds a device before
// (sorted) lacks.
func gainedDevices(before, after []string) bool {
	for _, d := range after {
		if _, found := slices.BinarySearch(before, d); !found {
			return true
		}
	}
	return false
}

// activeDevices is the union of the devices of the user's active compat,
// OAuth 2.0 and personal sessions and of the devices logins have marked
// pending, sorted for stable requests.
//
// The pending devices are read first. A login swaps its mark for its
// session in one transaction, so whichever side of that commit the first
// read falls on, a device is seen either as pending or, by the later
// session reads, as held by a session.
func activeDevices(ctx context.Context, s store.Store, now time.Time, userID domain.ID) ([]string, error) {
	set := map[string]bool{}
	pending, err := s.PendingDevices().ListActive(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	for _, d := range pending {
		set[d] = true
	}
	compat, err := s.CompatSessions().ListActiveForUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, c := range compat {
		if c.DeviceID != "" {
			set[c.DeviceID] = true
		}
	}
	oauth, err := s.Sessions().ListActiveForUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, o := range oauth {
		for _, d := range domain.DevicesInScope(o.Scope) {
			set[d] = true
		}
	}
	personal, err := s.PersonalSessions().ListActiveForActor(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, p := range personal {
		for _, d := range domain.DevicesInScope(p.Scope) {
			set[d] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// deactivateUserWorker deactivates the user (without locking it, as
// upstream: a deactivated user is refused everywhere a locked one is) and
// ends everything it has locally, committing that before calling the
// homeserver so that the user is shut out at once; then deactivates (and optionally erases) the
// user on the homeserver. The local part is idempotent, so a retry after a
// homeserver failure is safe.
type deactivateUserWorker struct {
	river.WorkerDefaults[domain.DeactivateUserJob]
	d Deps
}

func (w *deactivateUserWorker) Work(ctx context.Context, job *river.Job[domain.DeactivateUserJob]) error {
	user, err := w.d.Store.Users().Lookup(ctx, job.Args.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("user %s no longer exists", job.Args.UserID))
	}
	if err != nil {
		return err
	}
	err = store.WithTx(ctx, w.d.Store, func(tx store.Tx) error {
		if user.DeactivatedAt == nil {
			if err := user.Deactivate(w.d.Clock.Now()); err != nil {
				return err
			}
			if err := tx.Users().Update(ctx, user); err != nil {
				return err
			}
		}
		if _, err := tx.BrowserSessions().FinishAllForUser(ctx, user.ID); err != nil {
			return err
		}
		if _, err := tx.Sessions().FinishAllForUser(ctx, user.ID); err != nil {
			return err
		}
		if _, err := tx.CompatSessions().FinishAllForUser(ctx, user.ID); err != nil {
			return err
		}
		personal, err := tx.PersonalSessions().ListActiveForActor(ctx, user.ID)
		if err != nil {
			return err
		}
		for _, p := range personal {
			if err := tx.PersonalSessions().Revoke(ctx, p); err != nil {
				return err
			}
		}
		_, err = tx.UserEmails().RemoveAllForUser(ctx, user.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("deactivating %s locally: %w", user.Username, err)
	}
	if err := w.d.Homeserver.DeleteUser(ctx, user.Username, job.Args.HSErase); err != nil {
		return fmt.Errorf("deactivating %s on the homeserver: %w", user.Username, err)
	}
	w.d.Logger.Info("deactivated user", "user_id", user.ID.String(), "username", user.Username, "erase", job.Args.HSErase)
	return nil
}

// reactivateUserWorker reactivates the user on the homeserver and only
// then here: no longer deactivated (a lock stays, as upstream; `manage
// unlock-user --reactivate` unlocks too), and provisioned again (the
// deactivation removed its emails there).
type reactivateUserWorker struct {
	river.WorkerDefaults[domain.ReactivateUserJob]
	d Deps
}

func (w *reactivateUserWorker) Work(ctx context.Context, job *river.Job[domain.ReactivateUserJob]) error {
	user, err := w.d.Store.Users().Lookup(ctx, job.Args.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("user %s no longer exists", job.Args.UserID))
	}
	if err != nil {
		return err
	}
	if err := w.d.Homeserver.ReactivateUser(ctx, user.Username); err != nil {
		return fmt.Errorf("reactivating %s on the homeserver: %w", user.Username, err)
	}
	err = store.WithTx(ctx, w.d.Store, func(tx store.Tx) error {
		user.DeactivatedAt = nil
		if err := tx.Users().Update(ctx, user); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: user.ID})
	})
	if err != nil {
		return fmt.Errorf("reactivating %s locally: %w", user.Username, err)
	}
	w.d.Logger.Info("reactivated user", "user_id", user.ID.String(), "username", user.Username)
	return nil
}
