package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/policy"
	"mas/internal/store"
	"mas/internal/testdb"
)

// TestPolicyRefresh: data another replica stored is put in effect by the
// refresh, once; invalid stored data is refused and the data in effect
// kept; the periodic refresh picks up a new version and stops on request.
func TestPolicyRefresh(t *testing.T) {
	for _, backend := range []string{testdb.SQLite, testdb.Postgres} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			clk := clocktest.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			s, _ := testdb.OpenBackend(t, backend, clk)
			engine, err := policy.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			banned := func(username string) bool {
				return len(engine.Register(policy.RegisterInput{Username: username, RegistrationMethod: policy.RegistrationMethodPassword})) > 0
			}
			if err := refreshPolicy(ctx, engine, s); err != nil || engine.DataVersion() != "" {
				t.Fatalf("empty store: %v, version %q", err, engine.DataVersion())
			}

			v1 := addPolicyData(t, clk, s, `{"registration": {"banned_usernames": {"literals": ["mallory"]}}}`)
			if err := refreshPolicy(ctx, engine, s); err != nil || engine.DataVersion() != v1 || !banned("mallory") {
				t.Fatalf("after v1: %v, version %q, mallory banned %v", err, engine.DataVersion(), banned("mallory"))
			}
			addPolicyData(t, clk, s, `{"registration": {"banned_usernames": {"regexes": ["("]}}}`)
			if err := refreshPolicy(ctx, engine, s); err == nil || engine.DataVersion() != v1 || !banned("mallory") {
				t.Fatalf("invalid data: %v, version %q", err, engine.DataVersion())
			}

			a := &App{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			stop := a.startPolicyRefresh(engine, time.Millisecond)
			v3 := addPolicyData(t, clk, s, `{"registration": {"banned_usernames": {"literals": ["trudy"]}}}`)
			deadline := time.Now().Add(10 * time.Second)
			for engine.DataVersion() != v3 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			stop()
			if engine.DataVersion() != v3 || !banned("trudy") || banned("mallory") {
				t.Fatalf("periodic refresh: version %q, trudy %v, mallory %v", engine.DataVersion(), banned("trudy"), banned("mallory"))
			}
		})
	}
}

// addPolicyData stores a version as another replica's admin API would,
// a little later than the previous one.
func addPolicyData(t *testing.T, clk *clocktest.Fake, s store.Store, data string) string {
	t.Helper()
	clk.Advance(time.Second)
	if !json.Valid([]byte(data)) {
		t.Fatalf("invalid JSON %s", data)
	}
	p, err := s.PolicyData().Add(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID.String()
}
