// Command synapse-fixture writes a synthetic Synapse homeserver (see
// package synapsegen) into a PostgreSQL database or a new SQLite file:
//
//	make synapse-fixture N=100000 DB=postgres://postgres@127.0.0.1/synapse
//	make synapse-fixture N=1000 DB=/tmp/homeserver.db
//
// The PostgreSQL database must exist and hold none of the six tables
// (-force drops them first); an SQLite file must not exist (-force
// removes it).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"mas/internal/syn2mas/synapsedb/synapsegen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "synapse-fixture:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		users      = flag.Int("users", 1000, "number of users")
		db         = flag.String("db", "", "postgres:// URI, or the path of a new SQLite file")
		seed       = flag.Uint64("seed", 1, "seed: another one makes another homeserver of the same shape")
		serverName = flag.String("server-name", "example.org", "Synapse's server_name")
		pepper     = flag.String("pepper", "", "Synapse's password_config.pepper")
		providers  = flag.String("auth-providers", "oidc", "comma-separated auth_provider values of user_external_ids (empty: no external IDs)")
		badEmails  = flag.Float64("bad-case-emails", 0, "share of users whose email differs from another's only in case")
		force      = flag.Bool("force", false, "drop the tables (PostgreSQL) or remove the file (SQLite) first")
	)
	flag.Parse()
	if *db == "" || flag.NArg() > 0 {
		flag.Usage()
		return errors.New("-db is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	opts := synapsegen.Default(*users)
	opts.Seed, opts.ServerName, opts.Pepper = *seed, *serverName, *pepper
	opts.AuthProviders = nil
	for _, p := range strings.Split(*providers, ",") {
		if p = strings.TrimSpace(p); p != "" {
			opts.AuthProviders = append(opts.AuthProviders, p)
		}
	}
	if len(opts.AuthProviders) == 0 {
		opts.ExternalIDs = 0
	}
	opts.Bad.CaseDuplicateEmails = *badEmails

	target := synapsegen.Target{Driver: "sqlite", DSN: *db, Log: func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}}
	if strings.HasPrefix(*db, "postgres://") || strings.HasPrefix(*db, "postgresql://") {
		target.Driver = "postgres"
	}
	if *force {
		if err := clear(ctx, target); err != nil {
			return err
		}
	}
	began := time.Now()
	sum, err := synapsegen.Generate(ctx, target, opts)
	if err != nil {
		return err
	}
	elapsed := time.Since(began)
	out, _ := json.MarshalIndent(sum, "", "  ")
	fmt.Println(string(out))
	fmt.Fprintf(os.Stderr, "%d users, %d rows in %s (%.0f rows/s); every password is %q\n",
		sum.Users, sum.Rows, elapsed.Round(time.Millisecond), float64(sum.Rows)/elapsed.Seconds(), synapsegen.Password)
	return nil
}

func clear(ctx context.Context, t synapsegen.Target) error {
	if t.Driver == "sqlite" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(t.DSN + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		return nil
	}
	conn, err := pgx.Connect(ctx, t.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP TABLE IF EXISTS users, user_threepids, user_external_ids, devices, access_tokens, refresh_tokens CASCADE")
	return err
}
