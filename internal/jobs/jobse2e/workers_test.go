package jobse2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mas/internal/proctest"

	// The test runs mas-cli built from source by `go build`, which go
	// test's result cache cannot see; depending on the CLI package makes a
	// change to the service invalidate a cached pass.
	_ "mas/internal/cli"
	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/store"
	"mas/internal/store/postgres"
	"mas/internal/store/postgres/pgtest"
)

const (
	pathProvision = "/_synapse/mas/provision_user"
	pathSync      = "/_synapse/mas/sync_devices"

	// workerHeader tells the fake's call log which process sent a request.
	workerHeader = "X-Test-Worker"

	loadUsers  = 1000
	crashUsers = 20
	// crashVictim is held at the homeserver while its worker is killed.
	crashVictim = "crash0007"
)

// Two `mas-cli worker` processes share the queue: every job runs exactly
// once and both take part. Then a worker is SIGKILLed while it is inside a
// job, and a fresh worker rescues the job: nothing is lost.
func TestWorkerProcesses(t *testing.T) {
	dsn := pgtest.NewDatabase(t) // skips loudly without MAS_TEST_DATABASE_URL
	h := newHarness(t, dsn)

	a := h.startWorker(t, "A", nil)
	b := h.startWorker(t, "B", nil)
	a.waitStarted(t)
	b.waitStarted(t)

	t.Run("each job runs exactly once across two workers", func(t *testing.T) {
		start := time.Now()
		users := h.enqueueUsers(t, "load", loadUsers, 100)
		t.Logf("created %d users and their provisioning jobs in %s", loadUsers, time.Since(start).Round(time.Millisecond))
		h.waitAllCompleted(t, loadUsers, 3*time.Minute)
		t.Logf("all %d provisioning jobs and their device syncs done %s after the first insert", loadUsers, time.Since(start).Round(time.Millisecond))

		provision := h.callsByLocalpart(pathProvision)
		sync := h.callsByLocalpart(pathSync)
		perWorker := map[string]int{}
		var problems []string
		for _, u := range users {
			calls := provision[u]
			if len(calls) != 1 {
				problems = append(problems, fmt.Sprintf("%s: provision_user called %d times, want exactly once", u, len(calls)))
				continue
			}
			if calls[0].Status/100 != 2 {
				problems = append(problems, fmt.Sprintf("%s: provision_user answered %d", u, calls[0].Status))
			}
			perWorker[calls[0].Header.Get(workerHeader)]++
			if n := len(sync[u]); n != 1 {
				problems = append(problems, fmt.Sprintf("%s: sync_devices called %d times, want exactly once", u, n))
			}
			if _, ok := h.hs.User(u); !ok {
				problems = append(problems, fmt.Sprintf("%s is missing on the homeserver", u))
			}
		}
		if len(problems) > 0 {
			t.Errorf("%d problems, the first ones:\n%s", len(problems), strings.Join(problems[:min(len(problems), 20)], "\n"))
		}
		if len(provision) != loadUsers {
			t.Errorf("provision_user was called for %d distinct users, want %d", len(provision), loadUsers)
		}
		t.Logf("provisioning split between the workers: A=%d B=%d", perWorker["A"], perWorker["B"])
		if perWorker["A"] == 0 || perWorker["B"] == 0 {
			t.Errorf("one worker did all the work (A=%d, B=%d); both were running before the jobs were enqueued", perWorker["A"], perWorker["B"])
		}
	})

	t.Run("a job whose worker was killed is rescued", func(t *testing.T) {
		gate := h.hs.Block(pathProvision, crashVictim)
		defer gate.Release()
		h.enqueueUsers(t, "crash", crashUsers, crashUsers)

		select {
		case <-gate.Arrived():
		case <-time.After(30 * time.Second):
			t.Fatalf("no worker picked up %s's job", crashVictim)
		}
		holderName := h.arrivals(crashVictim)[0]
		holder, other := a, b
		if holderName == "B" {
			holder, other = b, a
		}
		victimJob := h.jobRow(t, crashVictim)
		t.Logf("worker %s (pid %d) holds %s's job: %s", holder.name, holder.cmd.Process.Pid, crashVictim, victimJob)
		if victimJob.State != "running" {
			t.Fatalf("held job is %s, want running", victimJob.State)
		}

		killed := time.Now()
		holder.kill(t)
		// The survivor was started with the production rescue delay (six
		// minutes); stopping it leaves the replacement as the only
		// candidate leader, and so the one whose rescuer runs.
		other.stop(t)
		if code := other.exitCode(); code != 0 {
			t.Errorf("worker %s exited with %d on SIGTERM, want 0\n%s", other.name, code, other.out.Tail(30))
		}
		// SIGTERM is a graceful stop: the jobs it was running finish.
		if out := other.out.String(); strings.Contains(out, "Job errored") {
			t.Errorf("worker %s failed jobs while shutting down gracefully:\n%s", other.name, other.out.Tail(30))
		}

		c := h.startWorker(t, "C", []string{
			"MAS_JOBS_TIMEOUT=2s",
			"MAS_JOBS_RESCUE_AFTER=3s",
			"MAS_JOBS_POLL_INTERVAL=200ms",
		})
		c.waitStarted(t)

		// Keeping the gate closed until C itself arrives proves the job was
		// rescued and run again, rather than finished by the dead worker's
		// request, which the fake completes on release.
		proctest.WaitUntil(t, 90*time.Second, "worker C to retry "+crashVictim+"'s job", func() (bool, string) {
			got := h.arrivals(crashVictim)
			return slices.Contains(got, "C"), fmt.Sprintf("arrivals %v; job %s", got, h.jobRow(t, crashVictim))
		})
		t.Logf("worker C retried the job %s after the kill", time.Since(killed).Round(time.Millisecond))
		gate.Release()

		h.waitAllCompleted(t, loadUsers+crashUsers, time.Minute)
		row := h.jobRow(t, crashVictim)
		t.Logf("rescued job: %s", row)
		if row.State != "completed" || row.Attempt < 2 || !strings.Contains(row.Errors, "Stuck job rescued") {
			t.Errorf("victim's job = %s; want completed after a rescue", row)
		}
		for i := range crashUsers {
			u := fmt.Sprintf("crash%04d", i)
			if _, ok := h.hs.User(u); !ok {
				t.Errorf("%s is missing on the homeserver", u)
			}
		}

		c.stop(t)
		if code := c.exitCode(); code != 0 {
			t.Errorf("worker C exited with %d on SIGTERM, want 0\n%s", code, c.out.Tail(30))
		}
	})
}

// harness is the shared setup: the binary, its configuration, the store
// the test enqueues through, and the fake homeserver behind one listener
// per worker process.
type harness struct {
	// t is the top-level test: processes and listeners live until it ends,
	// whichever subtest started them.
	t    *testing.T
	bin  string
	dir  string
	dsn  string
	base string
	st   *postgres.Store
	hs   *homeservertest.Server

	mu      sync.Mutex
	arrived map[string][]string // localpart -> workers, in arrival order
}

func newHarness(t *testing.T, dsn string) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, dsn: dsn, arrived: map[string][]string{}}
	h.bin = proctest.BuildMasCLI(t, dir)
	h.hs = homeservertest.New(t, homeservertest.Options{})

	// One-shot commands get a deadline so a hang fails the test instead of
	// stalling it until go test's own timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var gen bytes.Buffer
	cmd := exec.CommandContext(ctx, h.bin, "config", "generate")
	cmd.Stdout = &gen
	cmd.Stderr = &gen
	if err := cmd.Run(); err != nil {
		t.Fatalf("mas-cli config generate: %v\n%s", err, gen.String())
	}
	h.base = filepath.Join(dir, "config.yaml")
	writeFile(t, h.base, gen.String())

	migrateCfg := h.overrides(t, "migrate", "http://127.0.0.1:9/")
	out, err := exec.CommandContext(ctx, h.bin, "-c", h.base, "-c", migrateCfg, "database", "migrate").CombinedOutput()
	if err != nil {
		t.Fatalf("mas-cli database migrate: %v\n%s", err, out)
	}

	h.st, err = postgres.Open(context.Background(), postgres.Options{
		DSN: dsn, Clock: clock.System{}, IDs: domain.NewIDGenerator(rand.Reader),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	return h
}

// overrides writes the per-process configuration layered over the
// generated file: the test database and the homeserver endpoint.
func (h *harness) overrides(t *testing.T, name, endpoint string) string {
	t.Helper()
	p := filepath.Join(h.dir, "override-"+name+".yaml")
	writeFile(t, p, fmt.Sprintf(`database:
  uri: %s
matrix:
  homeserver: %s
  secret: %s
  endpoint: %s
`, strconv.Quote(h.dsn), strconv.Quote(h.hs.ServerName()), strconv.Quote(h.hs.Secret()), strconv.Quote(endpoint)))
	return p
}

// listener serves the fake homeserver to one worker process, tagging its
// requests so that the call log says which process sent each one.
func (h *harness) listener(t *testing.T, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathProvision {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				Localpart string `json:"localpart"`
			}
			_ = json.Unmarshal(body, &req)
			h.mu.Lock()
			h.arrived[req.Localpart] = append(h.arrived[req.Localpart], name)
			h.mu.Unlock()
		}
		r.Header.Set(workerHeader, name)
		h.hs.ServeHTTP(w, r)
	}))
	h.t.Cleanup(func() {
		// Close waits for requests in flight; closing the fake first lets
		// go of any still held at a gate.
		h.hs.Close()
		srv.Close()
	})
	return srv.URL + "/"
}

// arrivals lists the workers whose provision_user request for localpart
// reached the homeserver, in order, including requests still in flight.
func (h *harness) arrivals(localpart string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.arrived[localpart]...)
}

// callsByLocalpart groups the completed calls to path by the localpart in
// their JSON body.
func (h *harness) callsByLocalpart(path string) map[string][]homeservertest.Call {
	out := map[string][]homeservertest.Call{}
	for _, c := range h.hs.CallLog() {
		if c.Path != path {
			continue
		}
		var req struct {
			Localpart string `json:"localpart"`
		}
		_ = json.Unmarshal(c.Body, &req)
		out[req.Localpart] = append(out[req.Localpart], c)
	}
	return out
}

// enqueueUsers creates n users named prefix0000… and their provisioning
// jobs, perTx users to a transaction, and returns their names.
func (h *harness) enqueueUsers(t *testing.T, prefix string, n, perTx int) []string {
	t.Helper()
	ctx := context.Background()
	names := make([]string, 0, n)
	for lo := 0; lo < n; lo += perTx {
		err := store.WithTx(ctx, h.st, func(tx store.Tx) error {
			for i := lo; i < min(lo+perTx, n); i++ {
				u, err := tx.Users().Add(ctx, fmt.Sprintf("%s%04d", prefix, i))
				if err != nil {
					return err
				}
				if err := tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: u.ID}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("enqueueing %s users: %v", prefix, err)
		}
		for i := lo; i < min(lo+perTx, n); i++ {
			names = append(names, fmt.Sprintf("%s%04d", prefix, i))
		}
	}
	return names
}

// waitAllCompleted waits until provisioning jobs have completed and every
// other job (the device syncs they enqueue) too. A provisioning job that
// is retried enqueues its sync again, so only provisioning is counted.
func (h *harness) waitAllCompleted(t *testing.T, provisioned int, timeout time.Duration) {
	t.Helper()
	proctest.WaitUntil(t, timeout, fmt.Sprintf("%d completed provisioning jobs and nothing else pending", provisioned), func() (bool, string) {
		rows, err := h.st.DB().Query(`SELECT kind, state::text, count(*) FROM river_job GROUP BY kind, state ORDER BY kind, state`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		total, completed, provisionDone := 0, 0, 0
		var summary []string
		for rows.Next() {
			var kind, state string
			var n int
			if err := rows.Scan(&kind, &state, &n); err != nil {
				t.Fatal(err)
			}
			total += n
			if state == "completed" {
				completed += n
				if kind == "provision-user" {
					provisionDone += n
				}
			}
			summary = append(summary, fmt.Sprintf("%s/%s=%d", kind, state, n))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return provisionDone == provisioned && completed == total, strings.Join(summary, " ")
	})
}

// jobSummary is a provisioning job's row as the queue stores it.
type jobSummary struct {
	State       string
	Attempt     int
	AttemptedBy string
	Errors      string
}

func (j jobSummary) String() string {
	return fmt.Sprintf("state=%s attempt=%d attempted_by=%s errors=%s", j.State, j.Attempt, j.AttemptedBy, j.Errors)
}

func (h *harness) jobRow(t *testing.T, username string) jobSummary {
	t.Helper()
	ctx := context.Background()
	u, err := h.st.Users().FindByUsername(ctx, username)
	if err != nil {
		t.Fatalf("looking up %s: %v", username, err)
	}
	var j jobSummary
	err = h.st.DB().QueryRowContext(ctx, `SELECT state::text, attempt, coalesce(array_to_string(attempted_by, ','), ''),
			coalesce(array_to_string(errors, ' | '), '')
		FROM river_job WHERE kind = 'provision-user' AND args->>'user_id' = $1`,
		u.ID.String()).Scan(&j.State, &j.Attempt, &j.AttemptedBy, &j.Errors)
	if err != nil {
		t.Fatalf("reading %s's provisioning job: %v", username, err)
	}
	return j
}

// worker is one running `mas-cli worker` process.
type worker struct {
	name string
	cmd  *exec.Cmd
	out  *proctest.Buffer
	done chan struct{}
}

func (h *harness) startWorker(t *testing.T, name string, env []string) *worker {
	t.Helper()
	cfg := h.overrides(t, name, h.listener(t, name))
	w := &worker{name: name, out: &proctest.Buffer{}, done: make(chan struct{})}
	w.cmd = exec.Command(h.bin, "-c", h.base, "-c", cfg, "worker")
	w.cmd.Env = append(proctest.CleanEnv(), "MAS_LOG_LEVEL=info", "MAS_JOBS_POLL_INTERVAL=200ms")
	w.cmd.Env = append(w.cmd.Env, env...)
	w.cmd.Stdout = w.out
	w.cmd.Stderr = w.out
	if err := startChild(w.cmd); err != nil {
		t.Fatalf("starting worker %s: %v", name, err)
	}
	go func() {
		_ = w.cmd.Wait()
		close(w.done)
	}()
	h.t.Cleanup(func() {
		select {
		case <-w.done:
		default:
			_ = w.cmd.Process.Kill()
			<-w.done
		}
		h.t.Logf("worker %s used %s user and %s system CPU", name, w.cmd.ProcessState.UserTime().Round(time.Millisecond), w.cmd.ProcessState.SystemTime().Round(time.Millisecond))
		if h.t.Failed() {
			h.t.Logf("worker %s output (last lines):\n%s", name, w.out.Tail(40))
		}
	})
	return w
}

func (w *worker) waitStarted(t *testing.T) {
	t.Helper()
	proctest.WaitUntil(t, 30*time.Second, "worker "+w.name+" to start", func() (bool, string) {
		select {
		case <-w.done:
			t.Fatalf("worker %s exited during start-up: %v\n%s", w.name, w.cmd.ProcessState, w.out.Tail(40))
		default:
		}
		return strings.Contains(w.out.String(), `msg="worker started"`), w.out.Tail(5)
	})
}

// kill SIGKILLs the process: no shutdown code runs, as in a crash.
func (w *worker) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("killing worker %s: %v", w.name, err)
	}
	<-w.done
}

// stop asks the process to shut down and waits for it.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stopping worker %s: %v", w.name, err)
	}
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
		t.Errorf("worker %s did not stop within 30s of SIGTERM\n%s", w.name, w.out.Tail(40))
	}
}

func (w *worker) exitCode() int { return w.cmd.ProcessState.ExitCode() }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
