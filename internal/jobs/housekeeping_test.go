package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/jobs"
	"mas/internal/store"
	"mas/internal/testdb"
)

// The housekeeping clean-ups run at upstream's times.
func TestHousekeepingSchedulesAtUpstreamTimes(t *testing.T) {
	want := map[string]string{
		"cleanup-finished-compat-sessions":    "0 10 * * * *",
		"cleanup-finished-oauth2-sessions":    "0 15 * * * *",
		"cleanup-finished-user-sessions":      "0 20 * * * *",
		"cleanup-inactive-oauth2-session-ips": "0 25 * * * *",
		"cleanup-inactive-compat-session-ips": "0 25 * * * *",
		"cleanup-inactive-user-session-ips":   "0 25 * * * *",
		"cleanup-upstream-oauth-sessions":     "0 40 * * * *",
		"cleanup-upstream-oauth-links":        "0 40 * * * *",
		"cleanup-user-registrations":          "0 45 * * * *",
		"cleanup-user-recovery-sessions":      "0 50 * * * *",
		"cleanup-user-email-authentications":  "0 50 * * * *",
	}
	for _, s := range jobs.DefaultSchedules() {
		if spec, ok := want[s.Name]; ok && s.Spec != spec {
			t.Errorf("%s runs at %q, want %q", s.Name, s.Spec, spec)
		}
		delete(want, s.Name)
	}
	for name := range want {
		t.Errorf("no default schedule runs %s", name)
	}
}

// The expiry is scheduled only when the setting is present and covers a
// kind of session, at upstream's time, named after its kind.
func TestExpirationSchedules(t *testing.T) {
	for _, e := range []*jobs.Expiration{nil, {TTL: time.Hour}} {
		if s := jobs.ExpirationSchedules(e); len(s) != 0 {
			t.Errorf("ExpirationSchedules(%+v) = %v, want none", e, s)
		}
	}
	s := jobs.ExpirationSchedules(&jobs.Expiration{TTL: time.Hour, Compat: true})
	if len(s) != 1 || s[0].Name != "expire-inactive-sessions" || s[0].Spec != "30 */15 * * * *" || s[0].Job().Kind() != s[0].Name {
		t.Fatalf("ExpirationSchedules = %+v, want expire-inactive-sessions at 30 */15 * * * *", s)
	}
	for _, d := range jobs.DefaultSchedules() {
		if d.Name == s[0].Name {
			t.Fatal("the expiry is among the default schedules: it would run without the setting")
		}
	}
}

// housekeepingEnv is a backend whose store and workers read a fake clock,
// set an hour ahead of real time: the device syncs an expiry staggers
// from it stay scheduled for the whole test, where they can be inspected,
// while everything due now runs.
func housekeepingEnv(t *testing.T, backend string, expiration *jobs.Expiration) (*env, *clocktest.Fake) {
	t.Helper()
	clk := clocktest.New(time.Now().Add(time.Hour))
	e := &env{backend: backend}
	e.store, e.driver = testdb.OpenBackend(t, backend, clk)
	e.tune = func(d *jobs.Deps) {
		d.Clock = clk
		d.Expiration = expiration
	}
	return e, clk
}

// runJobs enqueues jobs and waits until every job of the given kinds has
// completed (the kinds include what the jobs queue in turn).
func runJobs(t *testing.T, e *env, kinds []string, queue ...domain.Job) []*rivertype.JobRow {
	t.Helper()
	ctx := context.Background()
	must(t, store.WithTx(ctx, e.store, func(tx store.Tx) error {
		for _, j := range queue {
			if err := tx.Jobs().Enqueue(ctx, j); err != nil {
				return err
			}
		}
		return nil
	}))
	r := e.start(t, jobs.Options{})
	var done []*rivertype.JobRow
	waitFor(t, "the jobs to complete", func() (bool, string) {
		res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds(kinds...).First(1000))
		must(t, err)
		var pending []string
		for _, j := range res.Jobs {
			if j.State != rivertype.JobStateCompleted {
				pending = append(pending, describeJob(j))
			}
		}
		done = res.Jobs
		return len(res.Jobs) >= len(queue) && len(pending) == 0, strings.Join(pending, "; ")
	})
	return done
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustGet[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		must(t, err)
		return v
	}
}

// expiryFixture is the sessions the expiry test starts from, three hours
// before the fake now with a TTL of one hour.
type expiryFixture struct {
	alice, bob, carol, dave *domain.User
	// ended must end; kept must stay as they are.
	endedCompat, keptCompat   []*domain.CompatSession
	endedOAuth, keptOAuth     []*domain.Session
	endedBrowser, keptBrowser []*domain.BrowserSession
	finishedBefore            *domain.CompatSession
}

// daveSessions exceeds one expiry batch (100).
const daveSessions = 150

func newExpiryFixture(t *testing.T, e *env, clk *clocktest.Fake) *expiryFixture {
	t.Helper()
	ctx := context.Background()
	now := clk.Now()
	clk.Set(now.Add(-3 * time.Hour))
	f := &expiryFixture{}
	must(t, store.WithTx(ctx, e.store, func(tx store.Tx) error {
		var err error
		user := func(name string) *domain.User {
			u, uerr := tx.Users().Add(ctx, name)
			err = errors.Join(err, uerr)
			return u
		}
		f.alice, f.bob, f.carol, f.dave = user("alice"), user("bob"), user("carol"), user("dave")
		compat := func(u *domain.User, device string, lastActive *time.Time) *domain.CompatSession {
			s := &domain.CompatSession{UserID: u.ID, DeviceID: device, LastActiveAt: lastActive}
			err = errors.Join(err, tx.CompatSessions().Add(ctx, s))
			return s
		}
		at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
		// Never active (so idle for three hours), and active two hours
		// ago: the longest idle, the first batch has them.
		f.endedCompat = append(f.endedCompat, compat(f.alice, "ALICE1", nil), compat(f.bob, "BOB1", at(-2*time.Hour)))
		for range daveSessions {
			f.endedCompat = append(f.endedCompat, compat(f.dave, "", at(-90*time.Minute)))
		}
		f.keptCompat = append(f.keptCompat, compat(f.alice, "ALICE2", at(-30*time.Minute)), compat(f.carol, "CAROL1", at(-10*time.Minute)))
		f.finishedBefore = compat(f.carol, "CAROL0", nil)
		err = errors.Join(err, tx.CompatSessions().Finish(ctx, f.finishedBefore))

		browser := func(u *domain.User) *domain.BrowserSession {
			b, berr := tx.BrowserSessions().Add(ctx, u.ID, "")
			err = errors.Join(err, berr)
			return b
		}
		parent, carolBrowser := browser(f.alice), browser(f.carol)
		err = errors.Join(err, tx.BrowserSessions().RecordActivity(ctx, carolBrowser.ID, now.Add(-time.Minute), "198.51.100.7"))
		f.endedBrowser, f.keptBrowser = []*domain.BrowserSession{parent}, []*domain.BrowserSession{carolBrowser}

		dynamic := &domain.Client{TokenEndpointAuthMethod: "none"}
		err = errors.Join(err, tx.Clients().Add(ctx, dynamic))
		static := &domain.Client{ID: domain.NewIDGenerator(strings.NewReader(strings.Repeat("s", 64))).New(now), TokenEndpointAuthMethod: "none"}
		err = errors.Join(err, tx.Clients().UpsertStatic(ctx, static))
		oauth := func(c *domain.Client, u *domain.User, browser *domain.BrowserSession, lastActive *time.Time) *domain.Session {
			s := &domain.Session{ClientID: c.ID, Scope: []string{"openid"}, LastActiveAt: lastActive}
			if u != nil {
				s.UserID = &u.ID
			}
			if browser != nil {
				s.BrowserSessionID = &browser.ID
			}
			err = errors.Join(err, tx.Sessions().Add(ctx, s))
			return s
		}
		f.endedOAuth = append(f.endedOAuth, oauth(dynamic, f.alice, nil, nil))
		// The child of the expiring browser session is active itself,
		// and stays; a configured client's and a client's own sessions
		// never expire.
		f.keptOAuth = append(f.keptOAuth, oauth(dynamic, f.alice, parent, at(-time.Minute)),
			oauth(static, f.bob, nil, nil), oauth(dynamic, nil, nil, nil))
		return err
	}))
	clk.Set(now)
	return f
}

// TestExpireInactiveSessions: the expiry ends exactly the sessions idle
// for longer than the TTL, in batches of 100, and queues one device sync
// per user and batch, the first a minute later and then every 10 seconds.
func TestExpireInactiveSessions(t *testing.T) {
	forEachBackendName(t, func(t *testing.T, backend string) {
		e, clk := housekeepingEnv(t, backend, &jobs.Expiration{TTL: time.Hour, OAuth: true, Compat: true, User: true})
		f := newExpiryFixture(t, e, clk)
		now := clk.Now()
		done := runJobs(t, e, []string{"expire-inactive-sessions", "expire-inactive-oauth-sessions",
			"expire-inactive-compat-sessions", "expire-inactive-user-sessions"}, domain.ExpireInactiveSessionsJob{})
		perKind := map[string]int{}
		for _, j := range done {
			perKind[j.Kind]++
		}
		if perKind["expire-inactive-oauth-sessions"] != 1 || perKind["expire-inactive-compat-sessions"] != 2 ||
			perKind["expire-inactive-user-sessions"] != 1 {
			t.Fatalf("expiry jobs run = %v, want one per kind and a second compat batch", perKind)
		}
		checkExpired(t, e, f, now)

		// One sync per user and batch: the OAuth batch (alice), the
		// first compat batch (alice, bob, dave: longest idle first) and
		// the second (dave).
		want := map[domain.ID][]time.Duration{
			f.alice.ID: {time.Minute, time.Minute},
			f.bob.ID:   {time.Minute + 10*time.Second},
			f.dave.ID:  {time.Minute, time.Minute + 20*time.Second},
		}
		for _, u := range []*domain.User{f.alice, f.bob, f.carol, f.dave} {
			var got []time.Duration
			for _, j := range e.jobsFor(t, "sync-devices", u.ID) {
				if j.State != rivertype.JobStateScheduled {
					t.Errorf("device sync of %s is %s, want scheduled", u.Username, j.State)
				}
				got = append(got, j.ScheduledAt.Sub(now).Round(time.Millisecond))
			}
			slices.Sort(got)
			if !slices.Equal(got, want[u.ID]) {
				t.Errorf("device syncs of %s in %v, want %v", u.Username, got, want[u.ID])
			}
		}
	})
}

func checkExpired(t *testing.T, e *env, f *expiryFixture, now time.Time) {
	t.Helper()
	ctx := context.Background()
	check := func(what string, finished *time.Time, ended bool) {
		t.Helper()
		switch {
		case ended && (finished == nil || !finished.Equal(now)):
			t.Errorf("%s finished at %v, want ended now (%v)", what, finished, now)
		case !ended && finished != nil:
			t.Errorf("%s finished at %v, want it active", what, finished)
		}
	}
	for i, list := range [][]*domain.CompatSession{f.keptCompat, f.endedCompat} {
		for _, s := range list {
			got := mustGet[*domain.CompatSession](t)(e.store.CompatSessions().Lookup(ctx, s.ID))
			check("compat session "+s.DeviceID, got.FinishedAt, i == 1)
		}
	}
	for i, list := range [][]*domain.Session{f.keptOAuth, f.endedOAuth} {
		for _, s := range list {
			got := mustGet[*domain.Session](t)(e.store.Sessions().Lookup(ctx, s.ID))
			check("oauth2 session "+s.ID.String(), got.FinishedAt, i == 1)
		}
	}
	for i, list := range [][]*domain.BrowserSession{f.keptBrowser, f.endedBrowser} {
		for _, s := range list {
			got := mustGet[*domain.BrowserSession](t)(e.store.BrowserSessions().Lookup(ctx, s.ID))
			check("browser session "+s.ID.String(), got.FinishedAt, i == 1)
		}
	}
	got := mustGet[*domain.CompatSession](t)(e.store.CompatSessions().Lookup(ctx, f.finishedBefore.ID))
	if !got.FinishedAt.Equal(*f.finishedBefore.FinishedAt) {
		t.Errorf("a session finished before was finished again at %v", got.FinishedAt)
	}
}

// Each kind follows its own switch, and without the setting a queued
// expiry does nothing.
func TestExpireInactiveSessionsSwitches(t *testing.T) {
	for _, tc := range []struct {
		name       string
		expiration *jobs.Expiration
		kinds      []string
	}{
		{"compat only", &jobs.Expiration{TTL: time.Hour, Compat: true}, []string{"expire-inactive-compat-sessions"}},
		{"browser only", &jobs.Expiration{TTL: time.Hour, User: true}, []string{"expire-inactive-user-sessions"}},
		{"setting removed", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, clk := housekeepingEnv(t, testdb.Backend(), tc.expiration)
			f := newExpiryFixture(t, e, clk)
			all := []string{"expire-inactive-sessions", "expire-inactive-oauth-sessions",
				"expire-inactive-compat-sessions", "expire-inactive-user-sessions"}
			done := runJobs(t, e, all, domain.ExpireInactiveSessionsJob{})
			var ran []string
			for _, j := range done {
				if j.Kind != "expire-inactive-sessions" && !slices.Contains(ran, j.Kind) {
					ran = append(ran, j.Kind)
				}
			}
			if !slices.Equal(ran, tc.kinds) {
				t.Fatalf("expiry jobs run = %v, want %v", ran, tc.kinds)
			}
			ctx := context.Background()
			compat := mustGet[*domain.CompatSession](t)(e.store.CompatSessions().Lookup(ctx, f.endedCompat[0].ID))
			browser := mustGet[*domain.BrowserSession](t)(e.store.BrowserSessions().Lookup(ctx, f.endedBrowser[0].ID))
			oauth := mustGet[*domain.Session](t)(e.store.Sessions().Lookup(ctx, f.endedOAuth[0].ID))
			if (compat.FinishedAt != nil) != slices.Contains(tc.kinds, "expire-inactive-compat-sessions") ||
				(browser.FinishedAt != nil) != slices.Contains(tc.kinds, "expire-inactive-user-sessions") || oauth.FinishedAt != nil {
				t.Fatalf("finished: compat %v, browser %v, oauth2 %v; want only the kinds %v", compat.FinishedAt, browser.FinishedAt, oauth.FinishedAt, tc.kinds)
			}
		})
	}
}

// The threshold a job covers travels in upstream's field name.
func TestInactiveSessionsBatchJSON(t *testing.T) {
	b := domain.InactiveSessionsBatch{Threshold: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, err := json.Marshal(domain.ExpireInactiveCompatSessionsJob{InactiveSessionsBatch: b})
	must(t, err)
	want := `{"threshold":"2026-01-02T03:04:05Z"}`
	if string(got) != want {
		t.Fatalf("job args = %s, want %s", got, want)
	}
}
