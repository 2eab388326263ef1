package sqlstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/testdb"
)

// benchRows is the size of one load; benchBatch the rows per Write, as an
// import sends them.
const (
	benchRows  = 200_000
	benchBatch = 4096
)

// BenchmarkBulkLoad times loads into a fresh database on each backend and
// reports rows/s, index rebuild and commit included: "users" writes users
// only, "syn2mas" a Synapse-like mix of users with a password, a device
// session and its access token each, benchRows rows in all, with the
// foreign keys checked row by row, and "syn2mas-deferred" the same with
// DeferForeignKeys.
//
//	go test ./internal/store/sqlstore -run '^$' -bench BulkLoad -benchtime 3x
//
// PostgreSQL needs MAS_TEST_DATABASE_URL (scripts/test-services --env).
func BenchmarkBulkLoad(b *testing.B) {
	for _, shape := range []struct {
		name     string
		gen      func(n int) []benchTable
		deferred bool
	}{{"users", benchUsers, false}, {"syn2mas", benchSyn2mas, false}, {"syn2mas-deferred", benchSyn2mas, true}} {
		for _, backend := range []string{testdb.SQLite, testdb.Postgres} {
			b.Run(shape.name+"/"+backend, func(b *testing.B) {
				tables := shape.gen(benchRows)
				var names []string
				for _, t := range tables {
					names = append(names, t.name)
				}
				ctx := context.Background()
				var elapsed time.Duration
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					s, _ := testdb.OpenBackend(b, backend, clocktest.New(time.Now()))
					bulk := s.(store.Bulk)
					b.StartTimer()
					start := time.Now()
					err := bulk.BulkLoad(ctx, store.BulkOptions{Tables: names, LockName: "bench", DeferForeignKeys: shape.deferred}, func(w store.BulkWriter) error {
						for _, t := range tables {
							for i := 0; i < len(t.rows); i += benchBatch {
								if err := w.Write(ctx, t.name, t.columns, t.rows[i:min(i+benchBatch, len(t.rows))]); err != nil {
									return err
								}
							}
						}
						return nil
					})
					elapsed += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(benchRows*b.N)/elapsed.Seconds(), "rows/s")
			})
		}
	}
}

type benchTable struct {
	name    string
	columns []string
	rows    [][]any
}

var benchUserColumns = []string{"user_id", "username", "created_at", "locked_at", "deactivated_at", "can_request_admin", "is_guest"}

func benchUsers(n int) []benchTable {
	ids := domain.NewIDGenerator(rand.Reader)
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	users := benchTable{name: "users", columns: benchUserColumns}
	for i := range n {
		created := t0.Add(time.Duration(i) * time.Second)
		users.rows = append(users.rows, []any{ids.New(created).String(), fmt.Sprintf("user%07d", i), created, nil, nil, i%100 == 0, false})
	}
	return []benchTable{users}
}

// benchSyn2mas makes n/4 users, each with one row in the three other
// tables.
func benchSyn2mas(n int) []benchTable {
	ids := domain.NewIDGenerator(rand.Reader)
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	users := benchTable{name: "users", columns: benchUserColumns}
	passwords := benchTable{name: "user_passwords", columns: []string{"user_password_id", "user_id", "hashed_password", "version", "created_at"}}
	sessions := benchTable{name: "compat_sessions", columns: []string{"compat_session_id", "user_id", "device_id", "is_synapse_admin",
		"created_at", "user_agent", "last_active_at", "last_active_ip", "human_name"}}
	tokens := benchTable{name: "compat_access_tokens", columns: []string{"compat_access_token_id", "compat_session_id", "access_token", "created_at", "expires_at"}}
	for i := range n / 4 {
		created := t0.Add(time.Duration(i) * time.Second)
		user, session := ids.New(created).String(), ids.New(created).String()
		users.rows = append(users.rows, []any{user, fmt.Sprintf("user%07d", i), created, nil, nil, false, false})
		passwords.rows = append(passwords.rows, []any{ids.New(created).String(), user,
			"$2b$12$Xj3Qe0pZ2b8m9cYfW1hV0eM8n0w7r6t5y4u3i2o1p0a9s8d7f6g5h", int64(1), created})
		sessions.rows = append(sessions.rows, []any{session, user, fmt.Sprintf("DEV%07d", i), false, created,
			"Element/1.11 (Linux)", created.Add(time.Hour), "192.0.2.1", "Element Desktop"})
		tokens.rows = append(tokens.rows, []any{ids.New(created).String(), session, fmt.Sprintf("syt_dXNlcg_%020d_abcdef", i), created, nil})
	}
	return []benchTable{users, passwords, sessions, tokens}
}
