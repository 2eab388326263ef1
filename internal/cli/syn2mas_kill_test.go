//go:build unix

package cli

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"mas/internal/store/postgres/pgtest"
)

// killUsers is the size of the homeserver the killed migration reads, by
// backend: enough rows (about five per user) that the later stages take
// a few seconds after the first one reports, which is when the test kills
// the process.
var killUsers = map[string]int{"sqlite": 30_000, "postgres": 60_000}

// A migration killed half-way (SIGKILL: no chance to clean up) leaves the
// service's database empty, since it loads in one transaction, and
// running it again migrates everything, as issue 13 asks. mas-cli runs as
// a process of its own, as an operator runs it; Synapse and the service
// are both on SQLite, then both on PostgreSQL.
func TestSyn2masMigrateKilledThenRerun(t *testing.T) {
	bin := buildContainerBinary(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			hs := generateHomeserver(t, backend, syn2masOptions(killUsers[backend]))
			dest := sqliteURI(dir)
			if backend == "postgres" {
				dest = pgtest.NewDatabase(t)
			}
			args := syn2masArgs(syn2masServiceConfig(t, dir, dest), []string{hs.synapseConfig(t, dir)}, "migrate")

			first := startMigration(t, bin, args)
			// The users are in the transaction once their summary line is
			// out; the other stages follow.
			first.waitFor(t, " users migrated (")
			first.kill(t)
			if backend == "postgres" {
				// The server ends the killed client's sessions (and so its
				// transaction and locks) when it notices the closed socket.
				waitSessionsGone(t, hs.dsn, dest)
			}
			if counts := destinationCounts(t, dest); !isEmpty(counts) {
				t.Fatalf("the killed migration left rows behind: %v\n%s", counts, first)
			}

			second := startMigration(t, bin, args)
			r := second.wait(t)
			mustSucceed(t, r, "syn2mas migrate after the killed one")
			if !strings.HasPrefix(r.stdout, "Migration completed in ") {
				t.Errorf("standard output does not end the migration with upstream's line:\n%s", r)
			}
			checkMigrated(t, hs.sum, r.stderr, destinationCounts(t, dest))
		})
	}
}

// migrationProcess is `mas-cli syn2mas migrate` running as a process.
type migrationProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	exited         chan error
}

func startMigration(t *testing.T, bin string, args []string) *migrationProcess {
	t.Helper()
	p := &migrationProcess{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.Env = append(os.Environ(), "MAS_LOG_LEVEL=info")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *migrationProcess) String() string {
	return "--- stdout:\n" + p.stdout.String() + "--- stderr:\n" + p.stderr.String()
}

// waitFor waits until the process has written want to its standard
// error. The bound only turns a hang into a failure.
func (p *migrationProcess) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(5 * time.Minute)
	for !strings.Contains(p.stderr.String(), want) {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("the migration ended (%v) before writing %q\n%s", err, want, p)
		case <-deadline:
			t.Fatalf("the migration never wrote %q\n%s", want, p)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL and checks that the signal, not the end of the
// migration, stopped the process.
func (p *migrationProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the migration was not killed half-way (%s): use a bigger homeserver\n%s", p.cmd.ProcessState, p)
	}
	t.Logf("killed after:\n%s", p.stderr)
}

// wait waits for the process to exit on its own.
func (p *migrationProcess) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Minute):
		t.Fatalf("the migration did not end\n%s", p)
	}
	return result{code: p.cmd.ProcessState.ExitCode(), stdout: p.stdout.String(), stderr: p.stderr.String()}
}

// waitSessionsGone waits until no session is left on the PostgreSQL
// databases of dsns but the one asking.
func waitSessionsGone(t *testing.T, dsns ...string) {
	t.Helper()
	db, err := sql.Open("pgx", os.Getenv(pgtest.EnvVar))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	for _, dsn := range dsns {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, strings.TrimPrefix(u.Path, "/"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		var n int
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()`, names).Scan(&n)
		if err != nil {
			t.Fatalf("waiting for the killed migration's sessions to end: %v", err)
		}
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
