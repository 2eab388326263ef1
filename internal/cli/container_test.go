//go:build unix

package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The image (Dockerfile) cannot be built on a machine without a container
// engine, so these tests hold the binary to what the image asks of it: run
// as a process of its own with almost no environment, from a working
// directory it cannot write (WORKDIR / under --read-only, holding the mounted
// /config.yaml and /keys), reading ./config.yaml by default, writing only
// to the database's directory, optionally as an unprivileged user, and
// stopping cleanly on the SIGTERM of `docker stop`.

// containerVersion is stamped in with -X, as the Dockerfile stamps VERSION.
const containerVersion = "container-test"

// nonrootID is the uid and gid of distroless's `nonroot` user, the image's
// USER.
const nonrootID = 65532

// containerEnv is the whole environment of the process: the PATH the
// distroless base image sets, no HOME, no USER. TMPDIR points at a directory
// the test watches: under --read-only without a tmpfs (the playbook mounts
// none) /tmp is not writable, so nothing may depend on creating files there.
func containerEnv(tmp string) []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TMPDIR=" + tmp,
	}
}

func TestContainer(t *testing.T) {
	bin := buildContainerBinary(t)

	t.Run("Version", func(t *testing.T) {
		// The Dockerfile's -X flag names this variable by its import path;
		// a rename would silently leave images reporting the default.
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := "mas-cli " + containerVersion + "\n"; string(out) != want {
			t.Fatalf("mas-cli --version = %q, want %q", out, want)
		}
	})

	t.Run("ReadOnlyWorkdir", func(t *testing.T) {
		runLikeContainer(t, bin, nil)
	})

	t.Run("NonRoot", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skipf("SKIPPED the run as uid %d: switching to it needs root, and this test runs as uid %d", nonrootID, os.Geteuid())
		}
		// 65532 is usually not in this machine's /etc/passwd, which is
		// what the playbook's --user=UID:GID does to the image as well.
		runLikeContainer(t, bin, &syscall.Credential{Uid: nonrootID, Gid: nonrootID})
	})
}

// buildContainerBinary builds mas-cli as the Dockerfile does, once for all
// subtests. Unlike the Dockerfile it keeps file paths (no -trimpath): that
// lets the build reuse the packages `go test` has just compiled, and changes
// nothing the binary does. -buildvcs=false matches the image, whose build
// context has no .git, and keeps git out of the test: git refuses a
// checkout owned by another user, which fails the build.
func buildContainerBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		// go test puts its own toolchain first in PATH, so this means the
		// test binary was started by hand.
		t.Skipf("no go command in PATH to build mas-cli: %v", err)
	}
	bin := filepath.Join(searchableTempDir(t), "mas-cli")
	cmd := exec.Command(goTool, "build", "-buildvcs=false",
		"-ldflags", "-s -w -X mas/internal/cli.Version="+containerVersion,
		"-o", bin, "mas/cmd/mas-cli")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build mas-cli: %v\n%s", err, out)
	}
	return bin
}

// searchableTempDir is a temporary directory that other users can enter.
// t.TempDir's are not (0700), and an unprivileged child must reach the
// binary and the files below.
func searchableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mas-container-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A non-root test process cannot delete entries of its own 0555
		// directories until it makes them writable again.
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runLikeContainer lays out a container's file system in a temporary
// directory and runs the binary in it as the image does: `config check`,
// then `server` until SIGTERM. With cred the process runs as that user.
func runLikeContainer(t *testing.T, bin string, cred *syscall.Credential) {
	root := searchableTempDir(t)
	if cred != nil {
		if p, ok := unsearchableAncestor(root); !ok {
			t.Skipf("%s is not searchable by other users, so uid %d cannot reach the test files; set TMPDIR to a directory every user can enter", p, cred.Uid)
		}
	}
	// work stands for the container's / (read-only, WORKDIR), holding
	// config.yaml and keys/ as the playbook mounts them. data is the one
	// writable mount, for the SQLite database; tmp is TMPDIR.
	work := filepath.Join(root, "work")
	keys := filepath.Join(work, "keys")
	data := filepath.Join(root, "data")
	tmp := filepath.Join(root, "tmp")
	for _, d := range []string{work, keys, data, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	key, err := os.ReadFile(testdata(t, "rsa.pem"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeFile(t, keys, "rsa.pem", string(key))
	web, internal := freePort(t), freePort(t)
	// Not baseConfig: it names the key inside the source tree, which the
	// unprivileged user may not be able to read, where the image gets its
	// keys from a mount of their own.
	cfg := fmt.Sprintf(`secrets:
  encryption: %s
  keys:
    - kid: rsa
      key_file: %q
matrix:
  homeserver: example.org
  secret: test-matrix-secret
database:
  uri: %q
`, testEncryption, keyFile, sqliteURI(data)) +
		listenersConfig(map[string]int{"web": web, "internal": internal}, "web", "internal")
	cfgFile := writeFile(t, work, "config.yaml", cfg)

	// Mounted read-only and owned by someone else: readable, never
	// writable. When the test runs as root these modes do not stop the
	// process from writing, so the snapshots below are the real proof.
	for _, f := range []string{cfgFile, keyFile} {
		if err := os.Chmod(f, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{keys, work, tmp} {
		if err := os.Chmod(d, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	if cred != nil {
		if err := os.Chown(data, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(data, 0o700); err != nil {
		t.Fatal(err)
	}

	workBefore, tmpBefore := snapshot(t, work), snapshot(t, tmp)

	command := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(t.Context(), bin, args...)
		cmd.Dir = work
		cmd.Env = containerEnv(tmp)
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}

	// No -c and no MAS_CONFIG: the image relies on mas-cli's default,
	// config.yaml in the working directory.
	if out, err := command("config", "check").CombinedOutput(); err != nil {
		t.Fatalf("mas-cli config check: %v\n%s", err, out)
	}

	// CMD ["server"]. The first start also creates and migrates the
	// database.
	srv := command("server")
	var output lockedBuffer
	srv.Stdout, srv.Stderr = &output, &output
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()

	waitHealthy(t, internal, exited, &output)

	// What `docker stop` sends to the container's first process.
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("mas-cli server after SIGTERM: %v, want exit status 0\n%s", err, &output)
		}
	case <-time.After(time.Minute):
		// Only turns a hang into a failure; t.Context's end then kills it.
		t.Fatalf("mas-cli server did not exit after SIGTERM\n%s", &output)
	}
	assertPortFree(t, web)
	assertPortFree(t, internal)

	if diff := snapshotDiff(workBefore, snapshot(t, work)); diff != "" {
		t.Errorf("the read-only working directory changed:\n%s", diff)
	}
	if diff := snapshotDiff(tmpBefore, snapshot(t, tmp)); diff != "" {
		t.Errorf("TMPDIR changed, but /tmp is read-only in the container:\n%s", diff)
	}
	checkDatabaseDir(t, data, cred)
}

// waitHealthy polls /health on port until it answers, failing if the
// process exits first. The deadline only turns a hang into a failure.
func waitHealthy(t *testing.T, port int, exited <-chan error, output fmt.Stringer) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("mas-cli server exited before serving (%v):\n%s", err, output)
		default:
		}
		status, body, err := getHealth(client, port)
		if err == nil {
			if status != http.StatusOK || body != "ok" {
				t.Fatalf("GET /health = %d %q, want 200 \"ok\"", status, body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mas-cli server never answered /health: %v\n%s", err, output)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkDatabaseDir requires that the database directory holds the SQLite
// database and its companion files (-wal, -shm) and nothing else, written by
// the user the process ran as.
func checkDatabaseDir(t *testing.T, dir string, cred *syscall.Credential) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if !strings.HasPrefix(e.Name(), "mas.db") {
			t.Errorf("unexpected file in the database directory: %s", e.Name())
		}
	}
	if !slices.Contains(names, "mas.db") {
		t.Fatalf("no mas.db in the database directory, only %v", names)
	}
	if cred == nil {
		return
	}
	fi, err := os.Stat(filepath.Join(dir, "mas.db"))
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && (st.Uid != cred.Uid || st.Gid != cred.Gid) {
		t.Errorf("mas.db is owned by %d:%d, want %d:%d (the server did not run as that user)", st.Uid, st.Gid, cred.Uid, cred.Gid)
	}
}

// snapshot describes every entry below dir: type and permissions, size,
// content hash and modification time. A directory's modification time
// changes when an entry is created or removed, so even a file written and
// deleted again shows.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d %s", fi.Mode(), fi.Size(), fi.ModTime().UTC().Format(time.RFC3339Nano))
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += " " + hex.EncodeToString(sum[:8])
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// snapshotDiff lists the entries that differ between two snapshots, or
// returns "" when they are the same.
func snapshotDiff(before, after map[string]string) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if a, ok := after[name]; !ok {
			fmt.Fprintf(&b, "  removed %s (was %s)\n", name, before[name])
		} else if a != before[name] {
			fmt.Fprintf(&b, "  changed %s: %s -> %s\n", name, before[name], a)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[name]; !ok {
			fmt.Fprintf(&b, "  added %s (%s)\n", name, after[name])
		}
	}
	return b.String()
}

// unsearchableAncestor reports the first directory on the way to dir that
// other users may not enter (no execute bit for "other").
func unsearchableAncestor(dir string) (string, bool) {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return p, false
		}
		if p == filepath.Dir(p) {
			return "", true
		}
	}
}
