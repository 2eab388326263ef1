package syn2mas_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/syn2mas"
	"mas/internal/syn2mas/synapsedb"
	"mas/internal/syn2mas/synapsedb/synapsegen"
	"mas/internal/testdb"
)

const (
	serverName = "example.org"
	pepper     = "a-pepper"
	idpID      = "oidc-github"
)

var providerID = func() domain.ID {
	id, err := domain.ParseID("01HFVBY12TMNTYTBV8W921M5FA")
	if err != nil {
		panic(err)
	}
	return id
}()

// homeserver generates a synthetic Synapse on driver and opens it.
func homeserver(t *testing.T, driver string, opts synapsegen.Options) (synapsedb.Source, *synapsegen.Summary, *synapsegen.Generator) {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "homeserver.db")
	if driver == "postgres" {
		dsn = pgtest.NewDatabase(t)
	}
	ctx := context.Background()
	sum, err := synapsegen.Generate(ctx, synapsegen.Target{Driver: driver, DSN: dsn}, opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := synapsegen.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	src, err := synapsedb.Open(ctx, synapsedb.Options{Driver: driver, DSN: dsn, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src, sum, g
}

func options(users int) synapsegen.Options {
	o := synapsegen.Default(users)
	o.ServerName, o.Pepper, o.AuthProviders = serverName, pepper, []string{idpID}
	return o
}

func settings() syn2mas.Settings {
	return syn2mas.Settings{
		ServerName: serverName,
		Schemes:    []syn2mas.PasswordScheme{{Version: 1, Algorithm: "bcrypt", Secret: []byte(pepper)}},
		Providers:  []syn2mas.Provider{{ID: providerID, SynapseIdpID: idpID}},
	}
}

// destination is an empty store with the provider config sync would have
// written.
func destination(t *testing.T, backend string) (store.Store, store.Bulk, *sql.DB) {
	t.Helper()
	s, _ := testdb.OpenBackend(t, backend, clock.System{})
	p := &domain.UpstreamProvider{ID: providerID, Issuer: "https://github.example", Scope: "openid", ClientID: "c",
		TokenEndpointAuthMethod: "none", Settings: "{}"}
	if err := s.UpstreamProviders().Upsert(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return s, s.(store.Bulk), testdb.DB(t, s)
}

func count(t *testing.T, db *sql.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func stage(t *testing.T, s *syn2mas.Summary, entity string) syn2mas.StageSummary {
	t.Helper()
	for _, st := range s.Stages {
		if st.Entity == entity {
			return st
		}
	}
	t.Fatalf("no stage %s in %+v", entity, s.Stages)
	return syn2mas.StageSummary{}
}

// TestMigrate migrates a generated homeserver from each source backend
// into each destination backend and checks what arrived: every
// non-appservice user with its flags, password hashes as scheme 1,
// emails, phone numbers aside, links, and tokens that find their session.
func TestMigrate(t *testing.T) {
	for _, source := range []string{"sqlite", "postgres"} {
		for _, dest := range []string{testdb.SQLite, testdb.Postgres} {
			t.Run(source+"_to_"+dest, func(t *testing.T) {
				t.Parallel()
				if source == "postgres" || dest == testdb.Postgres {
					pgtest.Require(t)
				}
				testMigrate(t, source, dest)
			})
		}
	}
}

func testMigrate(t *testing.T, source, dest string) {
	ctx := context.Background()
	src, sum, g := homeserver(t, source, options(400))
	s, bulk, db := destination(t, dest)

	res, err := syn2mas.Migrate(ctx, src, bulk, settings(), syn2mas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	users := stage(t, res, syn2mas.EntityUsers)
	if users.Migrated != sum.Users-sum.Appservice || users.Skipped["application service user"] != sum.Appservice {
		t.Errorf("users stage %+v, generated %d users of which %d appservice", users, sum.Users, sum.Appservice)
	}
	for _, c := range []struct {
		query string
		want  int64
	}{
		{"SELECT count(*) FROM users", sum.Users - sum.Appservice},
		{"SELECT count(*) FROM users WHERE is_guest", sum.Guests},
		{"SELECT count(*) FROM users WHERE deactivated_at IS NOT NULL", sum.Deactivated},
		{"SELECT count(*) FROM users WHERE locked_at IS NOT NULL", sum.Locked},
		{"SELECT count(*) FROM users WHERE can_request_admin", sum.Admins},
		{"SELECT count(*) FROM user_passwords WHERE version = 1", sum.WithPassword},
		{"SELECT count(*) FROM user_emails", sum.Emails},
		{"SELECT count(*) FROM user_unsupported_third_party_ids", sum.Phones},
		{"SELECT count(*) FROM upstream_oauth_links", sum.ExternalIDs[idpID]},
	} {
		if got := count(t, db, c.query); got != c.want {
			t.Errorf("%s = %d, want %d", c.query, got, c.want)
		}
	}
	// Every token the listings return is migrated or skipped for its
	// user's sake (deactivated, guest), and no other way.
	for _, c := range []struct {
		entity string
		listed int64
	}{
		{syn2mas.EntityUnrefreshableTokens, sum.Unrefreshable},
		{syn2mas.EntityRefreshableTokens, sum.RefreshablePairs},
		{syn2mas.EntityDevices, sum.Devices},
	} {
		st := stage(t, res, c.entity)
		if st.Migrated+st.SkippedTotal() != c.listed {
			t.Errorf("%s: %d migrated + %v skipped, want %d listed", c.entity, st.Migrated, st.Skipped, c.listed)
		}
		for reason := range st.Skipped {
			if reason != "deactivated or guest user" && reason != "row of a user not migrated" {
				t.Errorf("%s: unexpected skip reason %q", c.entity, reason)
			}
		}
	}
	if got, want := count(t, db, "SELECT count(*) FROM compat_refresh_tokens"), stage(t, res, syn2mas.EntityRefreshableTokens).Migrated; got != want {
		t.Errorf("compat_refresh_tokens = %d, want %d", got, want)
	}

	// Follow some users through: their tokens find their session, on their
	// device, and their flags and hashes are Synapse's.
	checked := 0
	for i := 0; i < 400 && checked < 20; i++ {
		rows := g.Plan(i)
		u := rows.User
		if u.AppserviceID != nil || u.Deactivated || u.IsGuest {
			continue
		}
		local := strings.TrimSuffix(strings.TrimPrefix(u.Name, "@"), ":"+serverName)
		mu, err := s.Users().FindByUsername(ctx, local)
		if err != nil {
			t.Fatalf("%s: %v", u.Name, err)
		}
		if (mu.LockedAt != nil) != u.Locked || mu.CanRequestAdmin != u.Admin || !mu.CreatedAt.Equal(time.Unix(u.CreationTS, 0)) {
			t.Errorf("%s migrated as %+v", u.Name, mu)
		}
		if u.PasswordHash != nil {
			var hash string
			var version int
			if err := db.QueryRow("SELECT hashed_password, version FROM user_passwords WHERE user_id = $1", mu.ID.String()).Scan(&hash, &version); err != nil {
				t.Fatal(err)
			}
			if hash != *u.PasswordHash || version != 1 {
				t.Errorf("%s: password %q v%d, want Synapse's hash as v1", u.Name, hash, version)
			}
		}
		for _, at := range rows.AccessTokens {
			if at.PuppetsUserID != nil || at.Used != nil && *at.Used {
				continue
			}
			tok, sess, owner, err := s.CompatAccessTokens().FindForIntrospection(ctx, at.Token)
			if err != nil {
				if at.RefreshTokenID != nil || at.DeviceID != nil && !hasDevice(rows, *at.DeviceID) {
					continue // a replaced pair, or a device that is gone
				}
				t.Errorf("%s: token %s not migrated: %v", u.Name, at.Token, err)
				continue
			}
			if owner.ID != mu.ID || tok.Token != at.Token {
				t.Errorf("%s: token found for %s", u.Name, owner.Username)
			}
			if at.DeviceID != nil && sess.DeviceID != *at.DeviceID {
				t.Errorf("%s: token of device %s in session %+v", u.Name, *at.DeviceID, sess)
			}
			if at.DeviceID == nil && sess.DeviceID != "" {
				t.Errorf("%s: deviceless token in session of device %s", u.Name, sess.DeviceID)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no ordinary user followed")
	}

	// Twice: the destination is no longer empty.
	_, err = syn2mas.Migrate(ctx, src, bulk, settings(), syn2mas.Options{})
	if err == nil || !strings.Contains(err.Error(), "The MAS database is not empty: rows found in at least `users`.") {
		t.Errorf("second migration: %v", err)
	}
}

func hasDevice(rows synapsegen.Rows, device string) bool {
	for _, d := range rows.Devices {
		if d.DeviceID == device {
			return true
		}
	}
	return false
}

// A dry run does everything and keeps nothing; so does a failure.
func TestMigrateDryRunAndFailureLeaveNothing(t *testing.T) {
	ctx := context.Background()
	src, _, _ := homeserver(t, "sqlite", options(100))
	_, bulk, _ := destination(t, testdb.Backend())
	res, err := syn2mas.Migrate(ctx, src, bulk, settings(), syn2mas.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if stage(t, res, syn2mas.EntityUsers).Migrated == 0 {
		t.Error("the dry run migrated no user")
	}
	if err := syn2mas.CheckDestination(ctx, bulk); err != nil {
		t.Errorf("after a dry run: %v", err)
	}

	// A user of another server stops the migration half-way: nothing stays.
	bad := options(100)
	bad.Bad.ForeignUsers = 0.05
	src, _, _ = homeserver(t, "sqlite", bad)
	_, err = syn2mas.Migrate(ctx, src, bulk, settings(), syn2mas.Options{})
	if err == nil || !strings.Contains(err.Error(), "wrong server name") {
		t.Fatalf("foreign users: %v", err)
	}
	if err := syn2mas.CheckDestination(ctx, bulk); err != nil {
		t.Errorf("after a failed migration: %v", err)
	}
	// A provider without mapping is fatal, unless ignored.
	noMap := settings()
	noMap.Providers = nil
	src, _, _ = homeserver(t, "sqlite", options(100))
	if _, err = syn2mas.Migrate(ctx, src, bulk, noMap, syn2mas.Options{}); err == nil || !strings.Contains(err.Error(), "missing a mapping for the auth provider") {
		t.Fatalf("unmapped provider: %v", err)
	}
	res, err = syn2mas.Migrate(ctx, src, bulk, noMap, syn2mas.Options{IgnoreMissingProviders: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if st := stage(t, res, syn2mas.EntityExternalIDs); st.Migrated != 0 || st.Skipped["provider not configured"] == 0 {
		t.Errorf("ignored provider: %+v", st)
	}
}

// Rows that break this service's rules are skipped, each counted by
// reason, and the rest is migrated.
func TestMigrateSkipsWhatBreaksOurRules(t *testing.T) {
	ctx := context.Background()
	o := options(200)
	o.Bad.CaseDuplicateEmails = 0.2
	o.Bad.OrphanDevices = 0.05
	src, sum, _ := homeserver(t, "sqlite", o)
	_, bulk, db := destination(t, testdb.Backend())
	res, err := syn2mas.Migrate(ctx, src, bulk, settings(), syn2mas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.CaseDuplicateEmails == 0 || sum.OrphanDevices == 0 {
		t.Fatalf("the generator made no bad rows: %+v", sum)
	}
	th := stage(t, res, syn2mas.EntityThreepids)
	if th.Skipped["email address already belongs to another user"] != sum.CaseDuplicateEmails {
		t.Errorf("threepids %+v, want %d case duplicates skipped", th, sum.CaseDuplicateEmails)
	}
	if got := count(t, db, "SELECT count(*) FROM user_emails"); got != sum.Emails-sum.CaseDuplicateEmails {
		t.Errorf("user_emails = %d, want %d", got, sum.Emails-sum.CaseDuplicateEmails)
	}
	if dv := stage(t, res, syn2mas.EntityDevices); dv.Skipped["unknown user"] != sum.OrphanDevices {
		t.Errorf("devices %+v, want %d orphans skipped", dv, sum.OrphanDevices)
	}
	if n := count(t, db, "SELECT count(*) FROM compat_sessions WHERE last_active_ip = '-'"); n != 0 {
		t.Errorf("%d sessions kept the IP '-'", n)
	}
}
