package synapsegen_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"mas/internal/passwords"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/syn2mas/synapsedb/synapsegen"
)

func newGenerator(t *testing.T, opts synapsegen.Options) *synapsegen.Generator {
	t.Helper()
	g, err := synapsegen.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestPlanIsDeterministic(t *testing.T) {
	opts := synapsegen.Default(500)
	a, b := newGenerator(t, opts), newGenerator(t, opts)
	for _, i := range []int{0, 1, 2, 7, 123, 499} {
		if pa, pb := a.Plan(i), b.Plan(i); !reflect.DeepEqual(pa, pb) {
			t.Errorf("user %d planned twice differently:\n%+v\n%+v", i, pa, pb)
		}
	}
	opts.Seed = 2
	if c := newGenerator(t, opts); reflect.DeepEqual(a.Plan(123).User.Name, c.Plan(123).User.Name) &&
		reflect.DeepEqual(a.Plan(123).Devices, c.Plan(123).Devices) {
		t.Error("another seed made the same user")
	}
}

// The default homeserver has every kind of row, about five rows per user.
func TestDefaultShape(t *testing.T) {
	s := newGenerator(t, synapsegen.Default(5000)).Count()
	perUser := float64(s.Rows) / float64(s.Users)
	if perUser < 4.5 || perUser > 5.5 {
		t.Errorf("%.2f rows per user, want about 5", perUser)
	}
	for name, n := range map[string]int64{
		"appservice users": s.Appservice, "guests": s.Guests, "deactivated": s.Deactivated, "locked": s.Locked,
		"admins": s.Admins, "with password": s.WithPassword, "emails": s.Emails, "phones": s.Phones,
		"external IDs": s.ExternalIDs["oidc"], "listed devices": s.Devices, "'-' IPs": s.DashIPs, "bad IPs": s.BadIPs,
		"unrefreshable tokens": s.Unrefreshable, "refresh pairs": s.RefreshablePairs, "replaced pairs": s.ReplacedPairs,
	} {
		if n == 0 {
			t.Errorf("no %s", name)
		}
	}
	if s.DeviceRows == s.Devices {
		t.Error("no hidden or guest_device devices, which the listing leaves out")
	}
	if s.ForeignUsers+s.CaseDuplicateEmails+s.OrphanDevices != 0 {
		t.Errorf("bad input without asking: %+v", s)
	}

	// Even a tiny homeserver has one of each kind.
	tiny := newGenerator(t, synapsegen.Default(5)).Count()
	if tiny.Admins != 1 || tiny.Appservice != 1 || tiny.Guests != 1 || tiny.Deactivated != 1 || tiny.Locked != 1 {
		t.Errorf("5 users: %+v", tiny)
	}
}

func TestBadInput(t *testing.T) {
	opts := synapsegen.Default(400)
	opts.Bad = synapsegen.Bad{CaseDuplicateEmails: 0.5, ForeignUsers: 0.05, OrphanDevices: 0.05}
	g := newGenerator(t, opts)
	s := g.Count()
	if s.CaseDuplicateEmails == 0 || s.ForeignUsers == 0 || s.OrphanDevices == 0 {
		t.Fatalf("bad input missing: %+v", s)
	}
	// A duplicate differs from the previous user's address in case only.
	for i := 1; i < opts.Users; i += 2 {
		p := g.Plan(i)
		if len(p.Threepids) == 0 || p.Threepids[0].Address == strings.ToLower(p.Threepids[0].Address) {
			continue
		}
		prev := g.Plan(i - 1).Threepids[0].Address
		if !strings.EqualFold(prev, p.Threepids[0].Address) || prev == p.Threepids[0].Address {
			t.Fatalf("user %d: %q is no case variant of %q", i, p.Threepids[0].Address, prev)
		}
		return
	}
	t.Fatal("no duplicate found")
}

// The shared hash verifies as MAS's password scheme 1 for Synapse hashes:
// bcrypt, Synapse's pepper, NFKC.
func TestHashVerifiesAsImportedScheme(t *testing.T) {
	ctx := context.Background()
	opts := synapsegen.Default(10)
	opts.Pepper = "s3cret-pepper"
	g := newGenerator(t, opts)
	hash := g.Plan(0).User.PasswordHash
	if hash == nil || !strings.HasPrefix(*hash, "$2b$04$") {
		t.Fatalf("user 0's hash: %v", hash)
	}
	m, err := passwords.New([]passwords.Scheme{{Version: 1, Algorithm: passwords.AlgorithmBcrypt, UnicodeNormalization: true, Secret: []byte(opts.Pepper)}}, passwords.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, 1, *hash, synapsegen.Password); err != nil {
		t.Errorf("the password does not verify: %v", err)
	}
	if _, err := m.Verify(ctx, 1, *hash, synapsegen.Password+"x"); !errors.Is(err, passwords.ErrMismatch) {
		t.Errorf("a wrong password: %v", err)
	}

	// NFKC, as Synapse: the ligature ﬁ is hashed as "fi".
	h, err := synapsegen.Hash("ﬁne", "p", 4)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = passwords.New([]passwords.Scheme{{Version: 1, Algorithm: passwords.AlgorithmBcrypt, UnicodeNormalization: true, Secret: []byte("p")}}, passwords.Options{})
	if _, err := m.Verify(ctx, 1, h, "fine"); err != nil {
		t.Errorf("NFKC: %v", err)
	}
}

var tokenFormat = regexp.MustCompile(`^(syt|syr)_([A-Za-z0-9+/]+)_[A-Za-z]{20}_([0-9A-Za-z]{6})$`)

func TestTokenFormat(t *testing.T) {
	g := newGenerator(t, synapsegen.Default(200))
	n := 0
	for i := range 200 {
		p := g.Plan(i)
		var toks []string
		for _, a := range p.AccessTokens {
			toks = append(toks, a.Token)
		}
		for _, r := range p.RefreshTokens {
			toks = append(toks, r.Token)
		}
		for _, tok := range toks {
			m := tokenFormat.FindStringSubmatch(tok)
			if m == nil {
				t.Fatalf("token %q is not in Synapse's format", tok)
			}
			base := tok[:strings.LastIndexByte(tok, '_')]
			if got := base62(crc32.ChecksumIEEE([]byte(base))); got != m[3] {
				t.Fatalf("token %q: checksum %s, want %s", tok, m[3], got)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no tokens")
	}
}

func base62(n uint32) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	s := ""
	for n > 0 {
		s = string(alphabet[n%62]) + s
		n /= 62
	}
	for len(s) < 6 { // Synapse's minwidth
		s = "0" + s
	}
	return s
}

// The schema files apply as a whole, and Generate gives the same summary
// as Count, on both databases, with every constraint of the DDL holding.
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	opts := synapsegen.Default(1500)
	opts.AuthProviders = []string{"oidc", "oidc-github"}
	want := newGenerator(t, opts).Count()

	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "homeserver.db")
		got, err := synapsegen.Generate(ctx, synapsegen.Target{Driver: "sqlite", DSN: path}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Generate: %+v\nCount: %+v", got, want)
		}
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var rows, mode string
		if err := db.QueryRow(`SELECT
			(SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM user_threepids) + (SELECT COUNT(*) FROM user_external_ids) +
			(SELECT COUNT(*) FROM devices) + (SELECT COUNT(*) FROM access_tokens) + (SELECT COUNT(*) FROM refresh_tokens)`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != fmt.Sprint(want.Rows) {
			t.Errorf("%s rows, want %d", rows, want.Rows)
		}
		if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal mode %q (%v), want Synapse's wal", mode, err)
		}
		var fkProblems int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fkProblems); err != nil || fkProblems != 0 {
			t.Errorf("foreign key check: %d (%v)", fkProblems, err)
		}
		if _, err := synapsegen.Generate(ctx, synapsegen.Target{Driver: "sqlite", DSN: path}, opts); err == nil {
			t.Error("Generate overwrote an existing file")
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		got, err := synapsegen.Generate(ctx, synapsegen.Target{Driver: "postgres", DSN: dsn}, opts)
		if err != nil {
			t.Fatal(err) // a uniqueness or foreign key of the DDL broken would fail here
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Generate: %+v\nCount: %+v", got, want)
		}
		if _, err := synapsegen.Generate(ctx, synapsegen.Target{Driver: "postgres", DSN: dsn}, opts); err == nil {
			t.Error("Generate ran again over existing tables")
		}
	})
}

func TestSchemaAppliesWhole(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		ddl, err := synapsegen.Schema("sqlite")
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "s.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		ddl, err := synapsegen.Schema("postgres")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	})
}
