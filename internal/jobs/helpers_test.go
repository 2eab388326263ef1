package jobs_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapse"
	"mas/internal/jobs"
	"mas/internal/store"
	"mas/internal/testdb"
)

// waitTimeout bounds every wait in these tests. It is only a deadline: the
// waits return as soon as their condition holds.
const waitTimeout = 30 * time.Second

// env is one backend, a fake homeserver and the connection to it.
type env struct {
	backend string
	store   store.Store
	driver  riverdriver.Driver[*sql.Tx]
	hs      *homeservertest.Server
	conn    homeserver.Connection
	runner  *jobs.Runner
	// tune, when set, adjusts the workers' dependencies (clock, settings).
	tune func(*jobs.Deps)
}

// forEachBackend runs fn on a migrated SQLite file and on a throw-away
// PostgreSQL database (skipped loudly without MAS_TEST_DATABASE_URL).
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, testdb.SQLite))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, testdb.Postgres))
	})
}

func newEnv(t *testing.T, backend string) *env {
	t.Helper()
	e := &env{backend: backend}
	e.store, e.driver = testdb.OpenBackend(t, backend, clock.System{})
	e.hs = homeservertest.New(t, homeservertest.Options{})
	conn, err := synapse.New(synapse.Options{
		Endpoint:   e.hs.URL() + "/",
		ServerName: e.hs.ServerName(),
		Secret:     e.hs.Secret(),
		Timeout:    10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.conn = conn
	return e
}

// start runs a job runner with every production worker until the test
// ends. Short poll intervals keep the tests quick; nothing relies on them.
func (e *env) start(t *testing.T, opts jobs.Options) *jobs.Runner {
	t.Helper()
	return e.startWith(t, context.Background(), opts, nil)
}

// startWith is start with the context given to Start and extra workers.
func (e *env) startWith(t *testing.T, ctx context.Context, opts jobs.Options, extra func(*river.Workers)) *jobs.Runner {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	deps := jobs.Deps{Store: e.store, Homeserver: e.conn, Clock: clock.System{}, Logger: logger}
	if e.tune != nil {
		e.tune(&deps)
	}
	workers := jobs.Workers(deps)
	if extra != nil {
		extra(workers)
	}
	opts.Logger = logger
	if opts.PollInterval == 0 {
		opts.PollInterval = 50 * time.Millisecond
	}
	r, err := jobs.NewRunner(e.driver, workers, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stopping the runner: %v", err)
		}
	})
	e.runner = r
	return r
}

// addUser creates a user and enqueues jobs for it in one transaction.
func (e *env) addUser(t *testing.T, username string, jobsFor func(u *domain.User) []domain.Job) *domain.User {
	t.Helper()
	ctx := context.Background()
	var user *domain.User
	err := store.WithTx(ctx, e.store, func(tx store.Tx) error {
		u, err := tx.Users().Add(ctx, username)
		if err != nil {
			return err
		}
		user = u
		if jobsFor == nil {
			return nil
		}
		for _, j := range jobsFor(u) {
			if err := tx.Jobs().Enqueue(ctx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return user
}

// jobsFor lists every job of kind whose arguments name userID, oldest
// first.
func (e *env) jobsFor(t *testing.T, kind string, userID domain.ID) []*rivertype.JobRow {
	t.Helper()
	res, err := e.runner.Client().JobList(context.Background(), river.NewJobListParams().Kinds(kind).First(10000))
	if err != nil {
		t.Fatalf("listing %s jobs: %v", kind, err)
	}
	var out []*rivertype.JobRow
	for _, j := range res.Jobs {
		var args struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			t.Fatalf("job %d has undecodable args %s: %v", j.ID, j.EncodedArgs, err)
		}
		if args.UserID == userID.String() {
			out = append(out, j)
		}
	}
	return out
}

// waitJob waits until the single job of kind for userID reaches want.
func (e *env) waitJob(t *testing.T, kind string, userID domain.ID, want rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	var row *rivertype.JobRow
	waitFor(t, fmt.Sprintf("%s job of %s to be %s", kind, userID, want), func() (bool, string) {
		rows := e.jobsFor(t, kind, userID)
		if len(rows) != 1 {
			return false, fmt.Sprintf("%d jobs", len(rows))
		}
		row = rows[0]
		return row.State == want, describeJob(row)
	})
	return row
}

func describeJob(j *rivertype.JobRow) string {
	s := fmt.Sprintf("job %d %s state=%s attempt=%d/%d", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts)
	for _, e := range j.Errors {
		s += fmt.Sprintf("\n  attempt %d: %s", e.Attempt, e.Error)
	}
	return s
}

// waitFor polls cond until it holds or waitTimeout passes; the string cond
// returns describes the last state seen, for the failure message.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", waitTimeout, what, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
