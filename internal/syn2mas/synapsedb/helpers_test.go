package synapsedb_test

import (
	"context"
	"path/filepath"
	"testing"

	"mas/internal/store/postgres/pgtest"
	"mas/internal/syn2mas/synapsedb"
	"mas/internal/syn2mas/synapsedb/synapsegen"
)

// onBoth runs fn once on SQLite and once on PostgreSQL (skipped loudly
// without MAS_TEST_DATABASE_URL), with a new, empty target each time.
func onBoth(t *testing.T, fn func(t *testing.T, driver string, newDSN func() string)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite", func() string { return filepath.Join(t.TempDir(), "homeserver.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.Require(t)
		fn(t, "postgres", func() string { return synapseDatabase(t) })
	})
}

// synapseDatabase is a throw-away PostgreSQL database made as Synapse
// wants it: C collation.
func synapseDatabase(t *testing.T) string {
	t.Helper()
	dsn, drop, err := pgtest.Create("TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Log(err)
		}
	})
	return dsn
}

// homeserver generates opts into a new target and returns its DSN and
// what was written.
func homeserver(t *testing.T, driver string, newDSN func() string, opts synapsegen.Options) (string, *synapsegen.Summary) {
	t.Helper()
	dsn := newDSN()
	sum, err := synapsegen.Generate(context.Background(), synapsegen.Target{Driver: driver, DSN: dsn}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return dsn, sum
}

func open(t *testing.T, driver, dsn string, shared bool) synapsedb.Source {
	t.Helper()
	src, err := synapsedb.Open(context.Background(), synapsedb.Options{Driver: driver, DSN: dsn, Shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

// listing is everything a Source lists.
type listing struct {
	users         map[string]synapsedb.User
	threepids     []synapsedb.Threepid
	externalIDs   []synapsedb.ExternalID
	devices       []synapsedb.Device
	unrefreshable []synapsedb.AccessToken
	refreshable   []synapsedb.RefreshPair
}

func listAll(t *testing.T, src synapsedb.Source) *listing {
	t.Helper()
	ctx := context.Background()
	l := &listing{users: map[string]synapsedb.User{}}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	check("users", src.Users(ctx, func(u synapsedb.User) error {
		if _, dup := l.users[u.Name]; dup {
			t.Errorf("user %s listed twice", u.Name)
		}
		l.users[u.Name] = u
		return nil
	}))
	check("threepids", src.Threepids(ctx, func(r synapsedb.Threepid) error { l.threepids = append(l.threepids, r); return nil }))
	check("external ids", src.ExternalIDs(ctx, func(r synapsedb.ExternalID) error { l.externalIDs = append(l.externalIDs, r); return nil }))
	check("devices", src.Devices(ctx, func(r synapsedb.Device) error { l.devices = append(l.devices, r); return nil }))
	check("unrefreshable", src.UnrefreshableTokens(ctx, func(r synapsedb.AccessToken) error { l.unrefreshable = append(l.unrefreshable, r); return nil }))
	check("refreshable", src.RefreshableTokens(ctx, func(r synapsedb.RefreshPair) error { l.refreshable = append(l.refreshable, r); return nil }))
	return l
}
