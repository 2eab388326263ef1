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
	base := baseURL(tb)
	name := "mas_test_" + strings.ToLower(rand.Text()[:12])
	stmt := "CREATE DATABASE " + name
	if template != "" {
		stmt += " TEMPLATE " + template
	}
	if err := adminExec(base, stmt); err != nil {
		tb.Fatalf("pgtest: creating database: %v", err)
	}
	tb.Cleanup(func() {
		if err := adminExec(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("pgtest: dropping %s: %v", name, err)
		}
	})
	return dsnFor(tb, base, name)
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

func baseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: PostgreSQL tests must run in CI", EnvVar)
		}
		tb.Skipf("SKIPPING PostgreSQL test: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run it", EnvVar)
	}
	return base
}

func dsnFor(tb testing.TB, base, name string) string {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("pgtest: %s is not a URL: %v", EnvVar, err)
	}
	u.Path = "/" + name
	return u.String()
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
