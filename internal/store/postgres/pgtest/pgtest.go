// Package pgtest gives tests throw-away PostgreSQL databases.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
)

// EnvVar names the server tests connect to, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
const EnvVar = "MAS_TEST_DATABASE_URL"

// NewDatabase creates an empty database for the test and drops it when the
// test ends. Without MAS_TEST_DATABASE_URL the test is skipped, loudly,
// except under CI=true where a skipped PostgreSQL test is a failure.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return NewDatabaseFrom(tb, "")
}

// NewDatabaseFrom is NewDatabase with the new database copied from a
// template (see Template), which is much faster than migrating each one.
func NewDatabaseFrom(tb testing.TB, template string) string {
	tb.Helper()
	Require(tb)
	clause := ""
	if template != "" {
		clause = "TEMPLATE " + template
	}
	dsn, drop, err := Create(clause)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Logf("pgtest: %v", err)
		}
	})
	return dsn
}

// Create makes a database with the given CREATE DATABASE options (such as
// "TEMPLATE template0 LC_COLLATE 'C'") on the server of
// MAS_TEST_DATABASE_URL, for databases that outlive one test (a server
// shared by a whole test binary); drop removes it. It fails when the
// variable is unset: call Require first where a test can skip.
func Create(options string) (dsn string, drop func() error, err error) {
	base := os.Getenv(EnvVar)
	if base == "" {
		return "", nil, fmt.Errorf("%s is not set", EnvVar)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s is not a URL: %w", EnvVar, err)
	}
	name := "mas_test_" + strings.ToLower(rand.Text()[:12])
	if err := adminExec(base, strings.TrimSpace("CREATE DATABASE "+name+" "+options)); err != nil {
		return "", nil, fmt.Errorf("creating a database on %s: %w (is PostgreSQL running? scripts/test-services starts it)", u.Redacted(), err)
	}
	drop = func() error {
		if err := adminExec(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// Require skips the test, loudly, when MAS_TEST_DATABASE_URL is unset,
// and fails it instead under CI=true, where PostgreSQL tests must run.
func Require(tb testing.TB) {
	tb.Helper()
	baseURL(tb)
}

// Template creates a database, lets prepare fill it (typically: run the
// migrations), and returns its name for NewDatabaseFrom with a function
// that drops it. Call it from TestMain; it returns "" and a no-op when
// MAS_TEST_DATABASE_URL is unset (the tests then skip or fail on their own).
func Template(prepare func(dsn string) error) (string, func(), error) {
	base := os.Getenv(EnvVar)
	if base == "" {
		return "", func() {}, nil
	}
	name := "mas_tmpl_" + strings.ToLower(rand.Text()[:12])
	if err := adminExec(base, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("pgtest: creating template: %w", err)
	}
	drop := func() { _ = adminExec(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") }
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("pgtest: %s is not a URL: %w", EnvVar, err)
	}
	u.Path = "/" + name
	if err := prepare(u.String()); err != nil {
		drop()
		return "", nil, fmt.Errorf("pgtest: preparing template: %w", err)
	}
	// A template must have no open connections when it is copied.
	if err := adminExec(base, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"' AND pid <> pg_backend_pid()"); err != nil {
		drop()
		return "", nil, err
	}
	return name, drop, nil
}

// templateLockKey serialises the building of shared templates between
// test processes (go test runs one per package, in parallel). Advisory
// locks are per database; every process takes it in the database of
// MAS_TEST_DATABASE_URL.
const templateLockKey int64 = 0x6d61735f746d706c // "mas_tmpl"

// SharedTemplate is Template for helpers that have no TestMain to drop the
// template from: the template is shared by every test process of every
// run, so it is never dropped. The first process that finds no database
// called name builds it (under an advisory lock, so concurrent processes
// wait and then reuse it); later processes and runs just return the name.
//
// name must therefore identify the content exactly: derive it from a hash
// of the migrations, so that a schema change gets a new template instead
// of a stale one. Superseded templates stay on the test server until
// someone drops them (DROP DATABASE mas_tmpl_...; they refuse connections,
// which dropping does not need). It returns "" when MAS_TEST_DATABASE_URL
// is unset, like Template.
func SharedTemplate(name string, prepare func(dsn string) error) (string, error) {
	base := os.Getenv(EnvVar)
	if base == "" {
		return "", nil
	}
	// The name is spliced into statements, so it must be a plain
	// identifier, with room for the "_build" suffix within PostgreSQL's
	// 63 bytes.
	const suffix = "_build"
	if name == "" || len(name)+len(suffix) > 63 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return "", fmt.Errorf("pgtest: %q is not a usable template name", name)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("pgtest: %s is not a URL: %w", EnvVar, err)
	}
	// Building runs every migration, which takes seconds, and others wait
	// for the lock meanwhile.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("pgtest: connecting to %s: %w (is PostgreSQL running? scripts/test-services starts it)", u.Redacted(), err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, templateLockKey); err != nil {
		return "", fmt.Errorf("pgtest: taking the template lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, templateLockKey) //nolint:errcheck // closing the session releases it too

	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("pgtest: looking for template %s: %w", name, err)
	}
	if exists {
		return name, nil
	}
	// Build under another name and rename at the end, so that a process
	// killed half-way never leaves a half-migrated template behind under
	// the real name. A leftover build database is from such a process
	// (we hold the lock), so it goes.
	build := name + suffix
	drop := func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+build+" WITH (FORCE)")
	}
	drop()
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+build); err != nil {
		return "", fmt.Errorf("pgtest: creating template %s: %w", name, err)
	}
	u.Path = "/" + build
	if err := prepare(u.String()); err != nil {
		drop()
		return "", fmt.Errorf("pgtest: preparing template %s: %w", name, err)
	}
	// A database with open connections can be neither renamed nor copied.
	// Refusing connections from now on keeps a stray session (a psql
	// left open on it) from breaking every test that copies it.
	for _, stmt := range []string{
		"ALTER DATABASE " + build + " ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + build + "'",
		"ALTER DATABASE " + build + " RENAME TO " + name,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			drop()
			return "", fmt.Errorf("pgtest: finishing template %s: %w", name, err)
		}
	}
	return name, nil
}

func baseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: PostgreSQL tests must run in CI", EnvVar)
		}
		tb.Skipf("SKIPPING PostgreSQL test: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) "+
			"to run it; `eval \"$(scripts/test-services --env)\"` installs, starts and sets it", EnvVar)
	}
	return base
}

func adminExec(base, stmt string) error {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
