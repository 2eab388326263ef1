package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"mas/internal/domain"
	"mas/internal/jobs"
	"mas/internal/store"
)

const (
	kindProvision  = "provision-user"
	kindSync       = "sync-devices"
	kindDeactivate = "deactivate-user"
	kindReactivate = "reactivate-user"
	kindPrune      = "prune-stale-policy-data"

	pathProvision = "/_synapse/mas/provision_user"
	pathSync      = "/_synapse/mas/sync_devices"
)

// A user created together with its provisioning job appears on the
// homeserver with the service's view of it, and the follow-up job then
// pushes the devices of its active sessions.
func TestProvisionUserThenSyncDevices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.start(t, jobs.Options{})

		var user *domain.User
		err := store.WithTx(ctx, e.store, func(tx store.Tx) error {
			u, err := tx.Users().Add(ctx, "alice")
			if err != nil {
				return err
			}
			user = u
			if _, err := tx.UserEmails().Add(ctx, u.ID, "alice@example.org"); err != nil {
				return err
			}
			if err := tx.CompatSessions().Add(ctx, &domain.CompatSession{UserID: u.ID, DeviceID: "COMPATDEV"}); err != nil {
				return err
			}
			pat := &domain.PersonalSession{
				OwnerUserID: &u.ID, ActorUserID: u.ID,
				Scope: []string{domain.ScopeMatrixAPI, domain.ScopeDevicePrefix + "PATDEV"},
			}
			if err := tx.PersonalSessions().Add(ctx, pat); err != nil {
				return err
			}
			return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: u.ID, SetDisplayName: "Alice"})
		})
		if err != nil {
			t.Fatal(err)
		}

		waitFor(t, "alice on the homeserver", func() (bool, string) {
			u, ok := e.hs.User("alice")
			return ok, fmt.Sprintf("%+v", u)
		})
		got, _ := e.hs.User("alice")
		if got.DisplayName != "Alice" || !slices.Equal(got.Emails, []string{"alice@example.org"}) || got.Locked {
			t.Errorf("provisioned user = %+v, want display name Alice, email alice@example.org, unlocked", got)
		}
		row := e.waitJob(t, kindProvision, user.ID, rivertype.JobStateCompleted)
		if row.Attempt != 1 {
			t.Errorf("provisioning took %d attempts, want 1", row.Attempt)
		}

		// The follow-up is enqueued by the provisioning job itself.
		e.waitJob(t, kindSync, user.ID, rivertype.JobStateCompleted)
		if devs := e.hs.Devices("alice"); !slices.Equal(devs, []string{"COMPATDEV", "PATDEV"}) {
			t.Errorf("devices on the homeserver = %v, want [COMPATDEV PATDEV]", devs)
		}
		if n := e.hs.Calls(pathProvision); n != 1 {
			t.Errorf("provision_user called %d times, want 1", n)
		}
		if n := e.hs.Calls(pathSync); n != 1 {
			t.Errorf("sync_devices called %d times, want 1", n)
		}
	})
}

// A job enqueued in a transaction that rolls back never exists, so it can
// never run; one committed after it runs normally.
func TestRolledBackJobNeverRuns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.start(t, jobs.Options{})

		tx, err := e.store.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ghost, err := tx.Users().Add(ctx, "ghost")
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: ghost.ID}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}

		// A later, committed job completing shows the worker has been
		// through the queue since the rollback.
		bob := e.addUser(t, "bob", func(u *domain.User) []domain.Job {
			return []domain.Job{domain.ProvisionUserJob{UserID: u.ID}}
		})
		e.waitJob(t, kindProvision, bob.ID, rivertype.JobStateCompleted)
		e.waitJob(t, kindSync, bob.ID, rivertype.JobStateCompleted)

		if rows := e.jobsFor(t, kindProvision, ghost.ID); len(rows) != 0 {
			t.Errorf("rolled-back job was stored: %s", describeJob(rows[0]))
		}
		if _, err := e.store.Users().Lookup(ctx, ghost.ID); err == nil {
			t.Error("rolled-back user was stored")
		}
		if _, ok := e.hs.User("ghost"); ok {
			t.Error("rolled-back user was provisioned")
		}
		for _, c := range e.hs.CallLog() {
			if strings.Contains(string(c.Body), "ghost") || strings.Contains(c.Query, "ghost") {
				t.Errorf("homeserver was called about the rolled-back user: %s %s", c.Method, c.Path)
			}
		}
	})
}

// gatedRetry retries quickly, except that the third failure is held until
// the test has looked at the job, so that the job cannot use up its
// attempts while the test is not watching.
type gatedRetry struct {
	holdAt  int // failure number that is held
	held    chan *rivertype.JobRow
	resume  chan struct{}
	release sync.Once
}

func newGatedRetry(holdAt int) *gatedRetry {
	return &gatedRetry{holdAt: holdAt, held: make(chan *rivertype.JobRow, 1), resume: make(chan struct{})}
}

func (p *gatedRetry) NextRetry(job *rivertype.JobRow) time.Time {
	// job.Errors does not yet include the failure being handled.
	if len(job.Errors)+1 == p.holdAt {
		p.held <- job
		<-p.resume
	}
	return time.Now().Add(20 * time.Millisecond)
}

func (p *gatedRetry) Resume() { p.release.Do(func() { close(p.resume) }) }

// While the homeserver is down the job fails and is retried, never lost;
// once it is back the next attempt succeeds.
func TestProvisionRetriedWhileHomeserverDown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		retry := newGatedRetry(3)
		e.start(t, jobs.Options{RetryPolicy: retry})
		// Cleanups run last-in first-out: this one runs before the runner's
		// Stop, so a failing test cannot leave the executor held in the
		// policy and Stop waiting for it.
		t.Cleanup(retry.Resume)
		e.hs.SetDown(true)

		carol := e.addUser(t, "carol", func(u *domain.User) []domain.Job {
			return []domain.Job{domain.ProvisionUserJob{UserID: u.ID}}
		})

		var held *rivertype.JobRow
		select {
		case held = <-retry.held:
		case <-time.After(waitTimeout):
			t.Fatalf("the job did not fail three times; it is now: %s", describeJob(e.waitJobAny(t, carol.ID)))
		}
		if held.Attempt != 3 {
			t.Errorf("third failure reported attempt %d", held.Attempt)
		}
		rows := e.jobsFor(t, kindProvision, carol.ID)
		if len(rows) != 1 {
			t.Fatalf("%d provisioning jobs for carol, want 1", len(rows))
		}
		row := rows[0]
		if row.State != rivertype.JobStateRunning || row.Attempt != 3 || len(row.Errors) != 2 {
			t.Errorf("while failing: %s; want running, attempt 3, two recorded errors", describeJob(row))
		}
		for _, er := range row.Errors {
			if !strings.Contains(er.Error, "503") && !strings.Contains(strings.ToLower(er.Error), "unavailable") {
				t.Errorf("attempt %d failed with %q, want the homeserver's 503", er.Attempt, er.Error)
			}
		}
		if _, ok := e.hs.User("carol"); ok {
			t.Error("carol exists on a homeserver that was down")
		}
		if n := e.hs.Calls(pathProvision); n != 3 {
			t.Errorf("provision_user reached the homeserver %d times, want 3", n)
		}

		e.hs.SetDown(false)
		retry.Resume()

		row = e.waitJob(t, kindProvision, carol.ID, rivertype.JobStateCompleted)
		if row.Attempt != 4 || len(row.Errors) != 3 {
			t.Errorf("after recovery: %s; want completed at attempt 4 after three errors", describeJob(row))
		}
		if _, ok := e.hs.User("carol"); !ok {
			t.Error("carol was not provisioned once the homeserver was back")
		}
		e.waitJob(t, kindSync, carol.ID, rivertype.JobStateCompleted)
	})
}

// waitJobAny returns the user's provisioning job in whatever state, for
// failure messages.
func (e *env) waitJobAny(t *testing.T, userID domain.ID) *rivertype.JobRow {
	t.Helper()
	rows := e.jobsFor(t, kindProvision, userID)
	if len(rows) == 0 {
		t.Fatal("no provisioning job at all")
	}
	return rows[0]
}

// Deactivation ends every local session and removes the emails, then
// deactivates (and erases) the user on the homeserver.
func TestDeactivateUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.start(t, jobs.Options{})
		e.hs.AddUser("dave")
		e.hs.AddDevice("dave", "DAVEDEV")

		dave := e.addUser(t, "dave", nil)
		browser, err := e.store.BrowserSessions().Add(ctx, dave.ID, "test-agent")
		if err != nil {
			t.Fatal(err)
		}
		compat := &domain.CompatSession{UserID: dave.ID, DeviceID: "DAVEDEV"}
		if err := e.store.CompatSessions().Add(ctx, compat); err != nil {
			t.Fatal(err)
		}
		pat := &domain.PersonalSession{OwnerUserID: &dave.ID, ActorUserID: dave.ID, Scope: []string{domain.ScopeMatrixAPI}}
		if err := e.store.PersonalSessions().Add(ctx, pat); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.UserEmails().Add(ctx, dave.ID, "dave@example.org"); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Jobs().Enqueue(ctx, domain.DeactivateUserJob{UserID: dave.ID, HSErase: true}); err != nil {
			t.Fatal(err)
		}

		e.waitJob(t, kindDeactivate, dave.ID, rivertype.JobStateCompleted)
		got, ok := e.hs.User("dave")
		if !ok || !got.Deactivated || !got.Erased {
			t.Errorf("dave on the homeserver = %+v (exists %v), want deactivated and erased", got, ok)
		}

		u, err := e.store.Users().Lookup(ctx, dave.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.DeactivatedAt == nil || u.LockedAt != nil {
			t.Errorf("dave locally = %+v, want deactivated and not locked (as upstream)", u)
		}
		if b, err := e.store.BrowserSessions().Lookup(ctx, browser.ID); err != nil || b.Active() {
			t.Errorf("browser session = %+v, %v; want finished", b, err)
		}
		if c, err := e.store.CompatSessions().Lookup(ctx, compat.ID); err != nil || c.Active() {
			t.Errorf("compat session = %+v, %v; want finished", c, err)
		}
		if p, err := e.store.PersonalSessions().Lookup(ctx, pat.ID); err != nil || p.RevokedAt == nil {
			t.Errorf("personal session = %+v, %v; want revoked", p, err)
		}
		if emails, err := e.store.UserEmails().ListForUser(ctx, dave.ID); err != nil || len(emails) != 0 {
			t.Errorf("emails = %v, %v; want none", emails, err)
		}

		// Reactivation undoes it on the homeserver, then here, and
		// provisions the user again.
		if err := e.store.Jobs().Enqueue(ctx, domain.ReactivateUserJob{UserID: dave.ID}); err != nil {
			t.Fatal(err)
		}
		e.waitJob(t, kindReactivate, dave.ID, rivertype.JobStateCompleted)
		if got, _ := e.hs.User("dave"); got.Deactivated {
			t.Errorf("dave on the homeserver = %+v, want reactivated", got)
		}
		if u, err := e.store.Users().Lookup(ctx, dave.ID); err != nil || !u.IsValid() {
			t.Errorf("dave locally = %+v, %v; want active", u, err)
		}
		e.waitJob(t, kindProvision, dave.ID, rivertype.JobStateCompleted)
	})
}

// A schedule with a seconds field is enqueued by the elected leader and
// the job it produces runs; it recurs.
func TestPeriodicScheduleRuns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.start(t, jobs.Options{Schedules: []jobs.Schedule{{
			Name: "prune-every-second",
			Spec: "* * * * * *",
			Job:  func() domain.Job { return domain.PruneStalePolicyDataJob{} },
		}}})
		waitFor(t, "two scheduled prune jobs to complete", func() (bool, string) {
			res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds(kindPrune).First(100))
			if err != nil {
				t.Fatal(err)
			}
			completed := 0
			var states []string
			for _, j := range res.Jobs {
				states = append(states, describeJob(j))
				if j.State == rivertype.JobStateCompleted {
					completed++
				}
			}
			return completed >= 2, strings.Join(states, "; ")
		})
	})
}

// Configuration mistakes are reported when the runner is built, and the
// knobs operators may set (MAS_JOBS_*) are accepted down to short values.
func TestNewRunnerOptions(t *testing.T) {
	e := newEnv(t, "sqlite")
	workers := jobs.Workers(jobs.Deps{Store: e.store, Homeserver: e.conn})
	prune := func() domain.Job { return domain.PruneStalePolicyDataJob{} }
	for _, tc := range []struct {
		name string
		opts jobs.Options
		want string // "" when the options are valid
	}{
		{"defaults", jobs.Options{}, ""},
		{"default schedules", jobs.Options{Schedules: jobs.DefaultSchedules()}, ""},
		{"short timeouts", jobs.Options{JobTimeout: 2 * time.Second, RescueAfter: 3 * time.Second}, ""},
		// Below river's 100ms fetch cooldown, which the runner lowers to match.
		{"poll interval below river's cooldown", jobs.Options{PollInterval: 10 * time.Millisecond}, ""},
		{"rescue equal to timeout", jobs.Options{JobTimeout: time.Minute, RescueAfter: time.Minute}, "must exceed the job timeout"},
		{"rescue below the default timeout", jobs.Options{RescueAfter: time.Minute}, "must exceed the job timeout"},
		{"cron spec without seconds", jobs.Options{Schedules: []jobs.Schedule{{Name: "x", Spec: "0 2 * * *", Job: prune}}}, "bad cron spec"},
		{"garbage cron spec", jobs.Options{Schedules: []jobs.Schedule{{Name: "x", Spec: "daily", Job: prune}}}, "bad cron spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobs.NewRunner(e.driver, workers, tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("NewRunner: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("NewRunner error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// holdArgs is a test-only job that runs until the test lets it finish.
type holdArgs struct{}

func (holdArgs) Kind() string { return "test-hold" }

type holdWorker struct {
	river.WorkerDefaults[holdArgs]
	started chan struct{}
	release chan struct{}
	// ctxErr is the job context's error when the job was let go.
	ctxErr chan error
}

func (w *holdWorker) Work(ctx context.Context, _ *river.Job[holdArgs]) error {
	close(w.started)
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	err := ctx.Err()
	w.ctxErr <- err
	return err
}

// The context given to Start is typically the one a SIGTERM cancels.
// Cancelling it must not cancel the jobs in flight: Stop lets them finish.
func TestCancelledStartContextLetsJobsFinish(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		startCtx, cancelStart := context.WithCancel(ctx)
		defer cancelStart()
		w := &holdWorker{started: make(chan struct{}), release: make(chan struct{}), ctxErr: make(chan error, 1)}
		r := e.startWith(t, startCtx, jobs.Options{}, func(ws *river.Workers) { river.AddWorker(ws, w) })
		inserted, err := r.Client().Insert(ctx, holdArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-w.started:
		case <-time.After(waitTimeout):
			t.Fatal("the job never started")
		}

		// River derives job contexts from the start context, so with the
		// bug this cancels the job synchronously, before it is released.
		cancelStart()
		stopped := make(chan error, 1)
		go func() {
			stopCtx, cancel := context.WithTimeout(ctx, waitTimeout)
			defer cancel()
			stopped <- r.Stop(stopCtx)
		}()
		close(w.release)

		if err := <-w.ctxErr; err != nil {
			t.Errorf("the running job's context was cancelled with the start context: %v", err)
		}
		if err := <-stopped; err != nil {
			t.Errorf("Stop: %v", err)
		}
		row, err := r.Client().JobGet(ctx, inserted.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(row.Errors) != 0 {
			t.Errorf("job after shutdown: %s; want completed on its first attempt", describeJob(row))
		}
	})
}
