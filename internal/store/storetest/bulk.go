package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("Bulk",
		test{"RowsReadableThroughRepositories", testBulkRowsReadable},
		test{"ManyRowsInOneWrite", testBulkManyRows},
		test{"IndexesRebuilt", testBulkIndexesRebuilt},
		test{"DuplicateInUniqueIndexFailsTheLoad", testBulkDuplicate},
		test{"ForeignKeysEnforced", testBulkForeignKeys},
		test{"DeferredForeignKeysTakeAnyOrder", testBulkAnyOrder},
		test{"IndexUnderForeignKeyKept", testBulkReferencedIndex},
		test{"DryRunLeavesNothing", testBulkDryRun},
		test{"ErrorLeavesNothing", testBulkError},
		test{"ExecInTheLoadTransaction", testBulkExec},
		test{"SecondLoadLocked", testBulkLocked},
		test{"FirstNonEmpty", testBulkFirstNonEmpty},
		test{"InvalidNames", testBulkInvalidNames},
	)
}

// bulkTables are the tables the tests fill, parents first.
var bulkTables = []string{"users", "user_passwords", "compat_sessions", "compat_access_tokens", "user_unsupported_third_party_ids"}

var userColumns = []string{"user_id", "username", "created_at", "locked_at", "deactivated_at", "can_request_admin", "is_guest"}

func bulkOf(t *testing.T, h *H) store.Bulk {
	t.Helper()
	b, ok := h.S.(store.Bulk)
	if !ok {
		t.Fatalf("%T does not implement store.Bulk", h.S)
	}
	return b
}

func bulkDB(t *testing.T, h *H) *sql.DB {
	t.Helper()
	db, ok := h.S.(interface{ DB() *sql.DB })
	if !ok {
		t.Fatalf("%T has no database handle", h.S)
	}
	return db.DB()
}

// bulkSchema lists the indexes and constraints of the tables as the
// catalog has them: what a load drops must come back the same.
func bulkSchema(t *testing.T, h *H, tables ...string) []string {
	t.Helper()
	queries := []string{`SELECT type || ' ' || name, coalesce(sql, '') FROM sqlite_master WHERE tbl_name = $1`}
	if h.S.Backend() == "postgres" {
		queries = []string{
			`SELECT 'index ' || indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`,
			`SELECT 'constraint ' || conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass`,
		}
	}
	var out []string
	for _, table := range tables {
		for _, q := range queries {
			rows, err := bulkDB(t, h).QueryContext(context.Background(), q, table)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var name, def string
				must(t, rows.Scan(&name, &def))
				out = append(out, name+": "+def)
			}
			must(t, rows.Err())
			rows.Close()
		}
	}
	slices.Sort(out)
	return out
}

// wantSameSchema compares two bulkSchema listings.
func wantSameSchema(t *testing.T, when string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("schema %s:\n%s\nwant:\n%s", when, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// bulkCount counts the rows of table with SQL of its own.
func bulkCount(t *testing.T, h *H, table string) int {
	t.Helper()
	var n int
	must(t, bulkDB(t, h).QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n))
	return n
}

// wantBulkEmpty checks that nothing of a load stayed.
func wantBulkEmpty(t *testing.T, h *H) {
	t.Helper()
	for _, table := range bulkTables {
		if n := bulkCount(t, h, table); n != 0 {
			t.Errorf("%s holds %d rows after a load that must leave nothing", table, n)
		}
	}
}

func userRow(id domain.ID, name string, created time.Time) []any {
	return []any{id.String(), name, created, nil, nil, false, false}
}

func testBulkRowsReadable(t *testing.T, h *H) {
	ctx := context.Background()
	ids := domain.NewIDGenerator(rand.Reader)
	// Nanoseconds and a zone other than UTC: both backends keep the
	// instant, to the microsecond.
	created := time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	want := created.Truncate(time.Microsecond)
	lastSeen := created.Add(48 * time.Hour)
	expires := created.Add(time.Hour)
	alice, bob := ids.New(created), ids.New(created)
	password, session, deviceless, token := ids.New(created), ids.New(created), ids.New(created), ids.New(created)

	err := bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: bulkTables, LockName: "storetest"}, func(w store.BulkWriter) error {
		if err := w.Write(ctx, "users", userColumns, [][]any{
			{alice.String(), "Alice", created, nil, nil, true, false},
			{bob.String(), "bob", created, created, created, false, true},
		}); err != nil {
			return err
		}
		if err := w.Write(ctx, "user_passwords",
			[]string{"user_password_id", "user_id", "hashed_password", "version", "created_at"},
			[][]any{{password.String(), alice.String(), "$2b$12$hash", int64(1), created}}); err != nil {
			return err
		}
		if err := w.Write(ctx, "compat_sessions",
			[]string{"compat_session_id", "user_id", "device_id", "is_synapse_admin", "created_at", "user_agent", "last_active_at", "last_active_ip", "human_name"},
			[][]any{
				{session.String(), alice.String(), "DEVICE", true, created, "Element", lastSeen, "192.0.2.1", "Phone"},
				{deviceless.String(), alice.String(), nil, false, created, nil, nil, nil, nil},
			}); err != nil {
			return err
		}
		if err := w.Write(ctx, "compat_access_tokens",
			[]string{"compat_access_token_id", "compat_session_id", "access_token", "created_at", "expires_at"},
			[][]any{{token.String(), session.String(), "syt_YWxpY2U_token", created, expires}}); err != nil {
			return err
		}
		return w.Write(ctx, "user_unsupported_third_party_ids",
			[]string{"user_id", "medium", "address", "created_at"},
			[][]any{{alice.String(), "msisdn", "447700900000", created}})
	})
	must(t, err)

	u := mustGet[*domain.User](t)(h.S.Users().FindByUsername(ctx, "alice"))
	if u.ID != alice || u.Username != "Alice" || !u.CanRequestAdmin || u.IsGuest || !u.IsValid() {
		t.Fatalf("alice = %+v", u)
	}
	sameTime(t, "alice created_at", u.CreatedAt, want)
	b := mustGet[*domain.User](t)(h.S.Users().Lookup(ctx, bob))
	if !b.IsGuest || b.CanRequestAdmin {
		t.Fatalf("bob = %+v", b)
	}
	sameTimePtr(t, "bob locked_at", b.LockedAt, &want)
	sameTimePtr(t, "bob deactivated_at", b.DeactivatedAt, &want)

	p := mustGet[*domain.Password](t)(h.S.Passwords().Active(ctx, alice))
	if p.ID != password || p.HashedPassword != "$2b$12$hash" || p.Version != 1 || p.UpgradedFromID != nil {
		t.Fatalf("password = %+v", p)
	}
	sameTime(t, "password created_at", p.CreatedAt, want)

	s := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, session))
	if s.UserID != alice || s.DeviceID != "DEVICE" || !s.IsSynapseAdmin || s.UserAgent != "Element" ||
		s.LastActiveIP != "192.0.2.1" || s.HumanName != "Phone" || !s.Active() {
		t.Fatalf("session = %+v", s)
	}
	wantSeen := lastSeen.Truncate(time.Microsecond)
	sameTimePtr(t, "last_active_at", s.LastActiveAt, &wantSeen)
	d := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, deviceless))
	if d.DeviceID != "" || d.LastActiveAt != nil || d.HumanName != "" {
		t.Fatalf("deviceless session = %+v", d)
	}

	tok := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().FindByToken(ctx, "syt_YWxpY2U_token"))
	if tok.ID != token || tok.SessionID != session || tok.FirstUsedAt != nil {
		t.Fatalf("token = %+v", tok)
	}
	sameTime(t, "token created_at", tok.CreatedAt, want)
	wantExpires := expires.Truncate(time.Microsecond)
	sameTimePtr(t, "token expires_at", tok.ExpiresAt, &wantExpires)

	var medium, address string
	var createdAt any
	must(t, bulkDB(t, h).QueryRowContext(ctx, `SELECT medium, address, created_at FROM user_unsupported_third_party_ids
		WHERE user_id = $1`, alice.String()).Scan(&medium, &address, &createdAt))
	if medium != "msisdn" || address != "447700900000" {
		t.Fatalf("third-party ID = %s %s", medium, address)
	}
	switch got := createdAt.(type) {
	case int64: // SQLite: microseconds
		sameTime(t, "third-party ID created_at", time.UnixMicro(got), want)
	case time.Time:
		sameTime(t, "third-party ID created_at", got, want)
	default:
		t.Fatalf("third-party ID created_at = %T %v", got, got)
	}
}

// testBulkManyRows writes more rows in one call than one SQLite statement
// takes, and a number that is not a multiple of it.
func testBulkManyRows(t *testing.T, h *H) {
	ctx := context.Background()
	ids := domain.NewIDGenerator(rand.Reader)
	const n = 12345
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = userRow(ids.New(Start), fmt.Sprintf("user%05d", i), Start.Add(time.Duration(i)*time.Microsecond))
	}
	must(t, bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: []string{"users"}}, func(w store.BulkWriter) error {
		return w.Write(ctx, "users", userColumns, rows)
	}))
	if got := mustGet[int](t)(h.S.Users().Count(ctx)); got != n {
		t.Fatalf("%d users, want %d", got, n)
	}
	last := mustGet[*domain.User](t)(h.S.Users().FindByUsername(ctx, fmt.Sprintf("user%05d", n-1)))
	sameTime(t, "last created_at", last.CreatedAt, Start.Add((n-1)*time.Microsecond))
}

func testBulkIndexesRebuilt(t *testing.T, h *H) {
	ctx := context.Background()
	before := bulkSchema(t, h, bulkTables...)
	if !slices.ContainsFunc(before, func(s string) bool { return strings.HasPrefix(s, "index users_username_lower: CREATE UNIQUE INDEX") }) {
		t.Fatalf("users_username_lower missing before the load: %v", before)
	}
	ids := domain.NewIDGenerator(rand.Reader)
	for _, deferred := range []bool{false, true} {
		var steps []string
		opts := store.BulkOptions{Tables: bulkTables, DeferForeignKeys: deferred, Progress: func(s string) { steps = append(steps, s) }}
		name := fmt.Sprintf("user%v", deferred)
		user := ids.New(Start)
		must(t, bulkOf(t, h).BulkLoad(ctx, opts, func(w store.BulkWriter) error {
			if err := w.Write(ctx, "users", userColumns, [][]any{userRow(user, name, Start)}); err != nil {
				return err
			}
			return w.Write(ctx, "user_passwords", []string{"user_password_id", "user_id", "hashed_password", "version", "created_at"},
				[][]any{{ids.New(Start).String(), user.String(), "hash", int64(1), Start}})
		}))
		wantSameSchema(t, fmt.Sprintf("after a load with DeferForeignKeys=%v", deferred), bulkSchema(t, h, bulkTables...), before)
		want := []string{"index users_username_lower", "index compat_access_tokens_token"}
		if h.S.Backend() == "postgres" {
			// SQLite keeps the indexes led by a foreign key's column.
			want = append(want, "index user_passwords_user", "index compat_sessions_user_device_active")
		}
		for i := range want {
			want[i] = "rebuilding " + want[i]
		}
		switch {
		case deferred && h.S.Backend() == "postgres":
			want = append(want, "rebuilding constraint user_passwords_user_id_fkey", "rebuilding constraint compat_access_tokens_compat_session_id_fkey")
		case deferred:
			want = append(want, "checking foreign keys of user_passwords", "checking foreign keys of compat_access_tokens")
		}
		for _, w := range want {
			if !slices.Contains(steps, w) {
				t.Errorf("DeferForeignKeys=%v: progress %v does not report rebuilding %s", deferred, steps, w)
			}
		}
		// The rebuilt unique index and the foreign keys are live.
		_, err := h.S.Users().Add(ctx, strings.ToUpper(name))
		wantErr(t, err, store.ErrConflict)
		if _, err := h.S.Passwords().Add(ctx, ids.New(Start), "hash", 1, nil); err == nil {
			t.Fatal("a password of an unknown user was added after the load")
		}
	}
}

func testBulkDuplicate(t *testing.T, h *H) {
	ctx := context.Background()
	before := bulkSchema(t, h, bulkTables...)
	ids := domain.NewIDGenerator(rand.Reader)
	err := bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: bulkTables}, func(w store.BulkWriter) error {
		return w.Write(ctx, "users", userColumns, [][]any{userRow(ids.New(Start), "alice", Start), userRow(ids.New(Start), "Alice", Start)})
	})
	if err == nil || !strings.Contains(err.Error(), "users_username_lower") {
		t.Fatalf("load with a duplicate username: error %v, want one naming users_username_lower", err)
	}
	t.Logf("load with a duplicate username: %v", err)
	wantBulkEmpty(t, h)
	wantSameSchema(t, "after the failed load", bulkSchema(t, h, bulkTables...), before)
}

// testBulkForeignKeys loads a password of an unknown user, with the
// foreign keys checked per row and deferred to the end, for real and as a
// dry run.
func testBulkForeignKeys(t *testing.T, h *H) {
	ctx := context.Background()
	before := bulkSchema(t, h, bulkTables...)
	ids := domain.NewIDGenerator(rand.Reader)
	for _, opts := range []store.BulkOptions{
		{Tables: bulkTables},
		{Tables: bulkTables, DeferForeignKeys: true},
		{Tables: bulkTables, DeferForeignKeys: true, DryRun: true},
	} {
		err := bulkOf(t, h).BulkLoad(ctx, opts, func(w store.BulkWriter) error {
			if err := w.Write(ctx, "users", userColumns, [][]any{userRow(ids.New(Start), "alice", Start)}); err != nil {
				return err
			}
			return w.Write(ctx, "user_passwords", []string{"user_password_id", "user_id", "hashed_password", "version", "created_at"},
				[][]any{{ids.New(Start).String(), ids.New(Start).String(), "hash", int64(1), Start}})
		})
		how := fmt.Sprintf("DeferForeignKeys=%v DryRun=%v", opts.DeferForeignKeys, opts.DryRun)
		if err == nil {
			t.Fatalf("%s: a password of an unknown user was loaded", how)
		}
		var names []string
		switch {
		case h.S.Backend() == "postgres":
			names = []string{"user_passwords_user_id_fkey"}
		case opts.DeferForeignKeys:
			names = []string{"user_passwords", "users"}
		}
		for _, name := range names {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("%s: error %v does not name %s", how, err, name)
			}
		}
		t.Logf("%s: load with a dangling foreign key: %v", how, err)
		wantBulkEmpty(t, h)
		wantSameSchema(t, "after the failed load", bulkSchema(t, h, bulkTables...), before)
	}
}

// testBulkAnyOrder writes children before their parents, which only a
// load with DeferForeignKeys takes.
func testBulkAnyOrder(t *testing.T, h *H) {
	ctx := context.Background()
	ids := domain.NewIDGenerator(rand.Reader)
	user, session, token := ids.New(Start), ids.New(Start), ids.New(Start)
	load := func(w store.BulkWriter) error {
		if err := w.Write(ctx, "compat_access_tokens", []string{"compat_access_token_id", "compat_session_id", "access_token", "created_at"},
			[][]any{{token.String(), session.String(), "syt_token", Start}}); err != nil {
			return err
		}
		if err := w.Write(ctx, "compat_sessions", []string{"compat_session_id", "user_id", "device_id", "created_at"},
			[][]any{{session.String(), user.String(), "DEVICE", Start}}); err != nil {
			return err
		}
		return w.Write(ctx, "users", userColumns, [][]any{userRow(user, "alice", Start)})
	}
	if err := bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: bulkTables}, load); err == nil {
		t.Fatal("a token was loaded before its session with the foreign keys checked row by row")
	}
	wantBulkEmpty(t, h)
	must(t, bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: bulkTables, DeferForeignKeys: true}, load))
	tok := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().FindByToken(ctx, "syt_token"))
	s := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, tok.SessionID))
	if s.UserID != user {
		t.Fatalf("session of user %v, want %v", s.UserID, user)
	}
}

// testBulkReferencedIndex loads tables of its own where a foreign key
// points at a unique index rather than a primary key: that index must
// stay, since both backends need it to check the key; on SQLite the child
// column's index stays too.
func testBulkReferencedIndex(t *testing.T, h *H) {
	ctx := context.Background()
	for _, ddl := range []string{
		`CREATE TABLE bulk_parent (id TEXT PRIMARY KEY, code TEXT NOT NULL, note TEXT)`,
		`CREATE UNIQUE INDEX bulk_parent_code ON bulk_parent (code)`,
		`CREATE INDEX bulk_parent_note ON bulk_parent (note)`,
		`CREATE TABLE bulk_child (id TEXT PRIMARY KEY, code TEXT NOT NULL REFERENCES bulk_parent (code))`,
		`CREATE INDEX bulk_child_code ON bulk_child (code)`,
	} {
		if _, err := bulkDB(t, h).ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	before := bulkSchema(t, h, "bulk_parent", "bulk_child")
	for _, deferred := range []bool{false, true} {
		var steps []string
		opts := store.BulkOptions{Tables: []string{"bulk_parent", "bulk_child"}, DeferForeignKeys: deferred,
			Progress: func(s string) { steps = append(steps, s) }}
		suffix := fmt.Sprint(deferred)
		must(t, bulkOf(t, h).BulkLoad(ctx, opts, func(w store.BulkWriter) error {
			if err := w.Write(ctx, "bulk_parent", []string{"id", "code", "note"}, [][]any{{"p" + suffix, "c" + suffix, "n"}}); err != nil {
				return err
			}
			return w.Write(ctx, "bulk_child", []string{"id", "code"}, [][]any{{"c" + suffix, "c" + suffix}})
		}))
		// SQLite also keeps the index of a foreign key's own column: each
		// parent row written looks for its children through it (without
		// it a load turns quadratic).
		childRebuilt := h.S.Backend() != "sqlite"
		if slices.Contains(steps, "rebuilding index bulk_parent_code") || !slices.Contains(steps, "rebuilding index bulk_parent_note") ||
			slices.Contains(steps, "rebuilding index bulk_child_code") != childRebuilt {
			t.Fatalf("DeferForeignKeys=%v: rebuilt %v, want every index but bulk_parent_code (and, on SQLite, bulk_child_code)", deferred, steps)
		}
		wantSameSchema(t, "after the load", bulkSchema(t, h, "bulk_parent", "bulk_child"), before)
	}
	if n := bulkCount(t, h, "bulk_child"); n != 2 {
		t.Fatalf("%d child rows, want 2", n)
	}
}

func testBulkDryRun(t *testing.T, h *H) {
	ctx := context.Background()
	before := bulkSchema(t, h, bulkTables...)
	var steps []string
	opts := store.BulkOptions{Tables: bulkTables, DryRun: true, Progress: func(s string) { steps = append(steps, s) }}
	must(t, bulkOf(t, h).BulkLoad(ctx, opts, func(w store.BulkWriter) error {
		return w.Write(ctx, "users", userColumns, [][]any{userRow(domain.NewIDGenerator(rand.Reader).New(Start), "alice", Start)})
	}))
	if !slices.Contains(steps, "rebuilding index users_username_lower") {
		t.Errorf("the dry run skipped the index rebuild: %v", steps)
	}
	wantBulkEmpty(t, h)
	wantSameSchema(t, "after the dry run", bulkSchema(t, h, bulkTables...), before)
	// A dry run with a duplicate fails like the real load.
	ids := domain.NewIDGenerator(rand.Reader)
	err := bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: bulkTables, DryRun: true}, func(w store.BulkWriter) error {
		return w.Write(ctx, "users", userColumns, [][]any{userRow(ids.New(Start), "bob", Start), userRow(ids.New(Start), "BOB", Start)})
	})
	if err == nil {
		t.Fatal("a dry run with a duplicate username succeeded")
	}
}

func testBulkError(t *testing.T, h *H) {
	ctx := context.Background()
	before := bulkSchema(t, h, bulkTables...)
	stop := errors.New("interrupted")
	err := bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: bulkTables}, func(w store.BulkWriter) error {
		if err := w.Write(ctx, "users", userColumns, [][]any{userRow(domain.NewIDGenerator(rand.Reader).New(Start), "alice", Start)}); err != nil {
			return err
		}
		return stop
	})
	wantErr(t, err, stop)
	wantBulkEmpty(t, h)
	wantSameSchema(t, "after the failed load", bulkSchema(t, h, bulkTables...), before)
}

func testBulkExec(t *testing.T, h *H) {
	ctx := context.Background()
	ids := domain.NewIDGenerator(rand.Reader)
	created := time.Date(2022, 1, 2, 3, 4, 5, 678901234, time.UTC)
	alice := ids.New(created)
	insert := `INSERT INTO users (user_id, username, created_at) VALUES ($1, $2, $3)`
	stop := errors.New("interrupted")
	err := bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: []string{"users"}}, func(w store.BulkWriter) error {
		if err := w.Exec(ctx, insert, alice.String(), "alice", created); err != nil {
			return err
		}
		return stop
	})
	wantErr(t, err, stop)
	wantBulkEmpty(t, h)

	must(t, bulkOf(t, h).BulkLoad(ctx, store.BulkOptions{Tables: []string{"users"}}, func(w store.BulkWriter) error {
		return w.Exec(ctx, insert, alice.String(), "alice", created)
	}))
	u := mustGet[*domain.User](t)(h.S.Users().FindByUsername(ctx, "alice"))
	sameTime(t, "created_at", u.CreatedAt, created.Truncate(time.Microsecond))
}

// testBulkLocked runs a second load while the first holds its lock. Only
// PostgreSQL has the lock: on SQLite the second load waits for the write
// lock instead.
func testBulkLocked(t *testing.T, h *H) {
	if h.S.Backend() != "postgres" {
		t.Skip("SQLite loads exclude each other through the write lock")
	}
	ctx := context.Background()
	opts := store.BulkOptions{Tables: bulkTables, LockName: "storetest-lock"}
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- bulkOf(t, h).BulkLoad(ctx, opts, func(store.BulkWriter) error {
			close(started)
			<-release
			return nil
		})
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("first load ended early: %v", err)
	}
	err := bulkOf(t, h).BulkLoad(ctx, opts, func(store.BulkWriter) error {
		t.Error("the second load ran while the first held the lock")
		return nil
	})
	close(release)
	wantErr(t, err, store.ErrLocked)
	must(t, <-done)
	// Released with the first load's transaction.
	must(t, bulkOf(t, h).BulkLoad(ctx, opts, func(store.BulkWriter) error { return nil }))
}

func testBulkFirstNonEmpty(t *testing.T, h *H) {
	ctx := context.Background()
	b := bulkOf(t, h)
	if got := mustGet[string](t)(b.FirstNonEmpty(ctx, bulkTables)); got != "" {
		t.Fatalf("FirstNonEmpty on an empty database = %q", got)
	}
	alice := newUser(t, h, "alice")
	mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, alice.ID, "hash", 1, nil))
	tables := []string{"user_unsupported_third_party_ids", "user_passwords", "users"}
	if got := mustGet[string](t)(b.FirstNonEmpty(ctx, tables)); got != "user_passwords" {
		t.Fatalf("FirstNonEmpty = %q, want user_passwords", got)
	}
	if _, err := b.FirstNonEmpty(ctx, []string{"no_such_table"}); err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("FirstNonEmpty of a missing table: error %v, want one naming it", err)
	}
}

func testBulkInvalidNames(t *testing.T, h *H) {
	ctx := context.Background()
	b := bulkOf(t, h)
	if _, err := b.FirstNonEmpty(ctx, []string{"users; DROP TABLE users"}); err == nil {
		t.Fatal("FirstNonEmpty took an invalid table name")
	}
	ran := false
	err := b.BulkLoad(ctx, store.BulkOptions{Tables: []string{"users--"}}, func(store.BulkWriter) error { ran = true; return nil })
	if err == nil || ran {
		t.Fatalf("BulkLoad took an invalid table name: ran=%v err=%v", ran, err)
	}
	err = b.BulkLoad(ctx, store.BulkOptions{}, func(w store.BulkWriter) error {
		return w.Write(ctx, "users", []string{"user_id", `username") --`}, [][]any{{"a", "b"}})
	})
	if err == nil {
		t.Fatal("Write took an invalid column name")
	}
	wantBulkEmpty(t, h)
}
