package synapsedb_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"mas/internal/syn2mas/synapsedb"
	"mas/internal/syn2mas/synapsedb/synapsegen"
)

// expected restates upstream's queries on the generator's plans: what each
// listing must return for the rows Generate wrote.
func expected(t *testing.T, opts synapsegen.Options) *listing {
	t.Helper()
	g, err := synapsegen.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l := &listing{users: map[string]synapsedb.User{}}
	for i := range opts.Users {
		p := g.Plan(i)
		u := p.User
		l.users[u.Name] = synapsedb.User{
			Name: u.Name, PasswordHash: u.PasswordHash, Admin: u.Admin, Deactivated: u.Deactivated, Locked: u.Locked,
			IsGuest: u.IsGuest, CreationTS: u.CreationTS, AppserviceID: u.AppserviceID,
		}
		for _, r := range p.Threepids {
			l.threepids = append(l.threepids, synapsedb.Threepid{UserID: r.UserID, Medium: r.Medium, Address: r.Address, AddedAt: r.AddedAt})
		}
		for _, r := range p.ExternalIDs {
			l.externalIDs = append(l.externalIDs, synapsedb.ExternalID{UserID: r.UserID, AuthProvider: r.AuthProvider, ExternalID: r.ExternalID})
		}
		type key struct{ user, device string }
		known := map[key]bool{}
		for _, d := range p.Devices {
			known[key{d.UserID, d.DeviceID}] = true
			// WHERE NOT hidden AND device_id != 'guest_device': a NULL
			// hidden is not "not hidden".
			if d.Hidden != nil && !*d.Hidden && d.DeviceID != "guest_device" {
				l.devices = append(l.devices, synapsedb.Device{
					UserID: d.UserID, DeviceID: d.DeviceID, DisplayName: d.DisplayName, LastSeen: d.LastSeen, IP: d.IP, UserAgent: d.UserAgent,
				})
			}
		}
		for _, a := range p.AccessTokens {
			if a.PuppetsUserID != nil || a.RefreshTokenID != nil {
				continue
			}
			if a.DeviceID == nil || known[key{a.UserID, *a.DeviceID}] {
				l.unrefreshable = append(l.unrefreshable, synapsedb.AccessToken{
					UserID: a.UserID, DeviceID: a.DeviceID, Token: a.Token, ValidUntilMS: a.ValidUntilMS, LastValidated: a.LastValidated,
				})
			}
		}
		for _, r := range p.RefreshTokens {
			if !known[key{r.UserID, r.DeviceID}] {
				continue
			}
			replaced := false
			for _, a := range p.AccessTokens {
				if r.NextTokenID != nil && a.RefreshTokenID != nil && *a.RefreshTokenID == *r.NextTokenID && a.Used != nil && *a.Used {
					replaced = true
				}
			}
			for _, a := range p.AccessTokens {
				if !replaced && a.RefreshTokenID != nil && *a.RefreshTokenID == r.ID && a.UserID == r.UserID && a.DeviceID != nil && *a.DeviceID == r.DeviceID {
					l.refreshable = append(l.refreshable, synapsedb.RefreshPair{
						UserID: r.UserID, DeviceID: r.DeviceID, AccessToken: a.Token, RefreshToken: r.Token,
						ValidUntilMS: a.ValidUntilMS, LastValidated: a.LastValidated,
					})
				}
			}
		}
	}
	return l
}

// canonical turns rows into sorted JSON (pointers as their values), to
// compare listings whose order is the database's.
func canonical[T any](t *testing.T, rows []T) []string {
	t.Helper()
	out := make([]string, len(rows))
	for k, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(b)
	}
	slices.Sort(out)
	return out
}

func sameRows[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	g, w := canonical(t, got), canonical(t, want)
	if slices.Equal(g, w) {
		return
	}
	for _, r := range w {
		if _, found := slices.BinarySearch(g, r); !found {
			t.Errorf("%s: missing %s", what, r)
		}
	}
	for _, r := range g {
		if _, found := slices.BinarySearch(w, r); !found {
			t.Errorf("%s: unexpected %s", what, r)
		}
	}
	t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Every listing returns exactly the rows the generator wrote, filtered as
// upstream's queries filter them, bad input included.
func TestListingsMatchGenerator(t *testing.T) {
	opts := synapsegen.Default(600)
	opts.AuthProviders = []string{"oidc", "oidc-github"}
	opts.Bad = synapsegen.Bad{CaseDuplicateEmails: 0.3, ForeignUsers: 0.02, OrphanDevices: 0.02}
	want := expected(t, opts)
	onBoth(t, func(t *testing.T, driver string, newDSN func() string) {
		dsn, sum := homeserver(t, driver, newDSN, opts)
		got := listAll(t, open(t, driver, dsn, false))

		sameRows(t, "users", mapValues(got.users), mapValues(want.users))
		sameRows(t, "threepids", got.threepids, want.threepids)
		sameRows(t, "external IDs", got.externalIDs, want.externalIDs)
		sameRows(t, "devices", got.devices, want.devices)
		sameRows(t, "unrefreshable tokens", got.unrefreshable, want.unrefreshable)
		sameRows(t, "refresh pairs", got.refreshable, want.refreshable)

		// The generator's counts agree, kind by kind.
		var guests, deactivated, appservice, locked, admins int64
		for _, u := range got.users {
			guests += b2i(u.IsGuest)
			deactivated += b2i(u.Deactivated)
			appservice += b2i(u.AppserviceID != nil)
			locked += b2i(u.Locked)
			admins += b2i(u.Admin)
		}
		for what, n := range map[string][2]int64{
			"users":         {int64(len(got.users)), sum.Users},
			"guests":        {guests, sum.Guests},
			"deactivated":   {deactivated, sum.Deactivated},
			"appservice":    {appservice, sum.Appservice},
			"locked":        {locked, sum.Locked},
			"admins":        {admins, sum.Admins},
			"threepids":     {int64(len(got.threepids)), sum.Emails + sum.Phones},
			"external IDs":  {int64(len(got.externalIDs)), sum.ExternalIDs["oidc"] + sum.ExternalIDs["oidc-github"]},
			"devices":       {int64(len(got.devices)), sum.Devices},
			"unrefreshable": {int64(len(got.unrefreshable)), sum.Unrefreshable},
			"refreshable":   {int64(len(got.refreshable)), sum.RefreshablePairs},
		} {
			if n[0] != n[1] || n[0] == 0 {
				t.Errorf("%s: listed %d, generated %d", what, n[0], n[1])
			}
		}
		if sum.ReplacedPairs == 0 || sum.DeviceRows == sum.Devices || sum.AccessTokenRows == sum.Unrefreshable+sum.RefreshablePairs {
			t.Errorf("the homeserver lacks rows the listings leave out: %+v", sum)
		}

		// A few rows field by field.
		g, _ := synapsegen.New(opts)
		admin := got.users[g.Plan(0).User.Name]
		if !admin.Admin || admin.PasswordHash == nil || *admin.PasswordHash != *g.Plan(0).User.PasswordHash || admin.CreationTS < 1546300800 {
			t.Errorf("user 0 (an admin): %+v", admin)
		}
		if as := got.users[g.Plan(1).User.Name]; as.AppserviceID == nil || *as.AppserviceID != "bridge" || as.PasswordHash != nil {
			t.Errorf("user 1 (a bridge user): %+v", as)
		}
		if guest := got.users[g.Plan(2).User.Name]; !guest.IsGuest || guest.PasswordHash != nil {
			t.Errorf("user 2 (a guest): %+v", guest)
		}
		if d := got.users[g.Plan(3).User.Name]; !d.Deactivated {
			t.Errorf("user 3 (deactivated): %+v", d)
		}
		if l := got.users[g.Plan(4).User.Name]; !l.Locked || l.Admin || l.Deactivated {
			t.Errorf("user 4 (locked): %+v", l)
		}
	})
}

func b2i(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

// The three queries the checks run.
func TestCheckQueries(t *testing.T) {
	ctx := context.Background()
	opts := synapsegen.Default(300)
	opts.AuthProviders = []string{"oidc-github", "oauth-delegated", "oidc"}
	onBoth(t, func(t *testing.T, driver string, newDSN func() string) {
		dsn, sum := homeserver(t, driver, newDSN, opts)
		src := open(t, driver, dsn, true)

		providers, err := src.ExternalIDProviders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []synapsedb.ProviderCount{ // ORDER BY auth_provider
			{AuthProvider: "oauth-delegated", Users: sum.ExternalIDs["oauth-delegated"]},
			{AuthProvider: "oidc", Users: sum.ExternalIDs["oidc"]},
			{AuthProvider: "oidc-github", Users: sum.ExternalIDs["oidc-github"]},
		}
		if !slices.Equal(providers, want) {
			t.Errorf("ExternalIDProviders = %v, want %v", providers, want)
		}
		if n, err := src.CountGuests(ctx); err != nil || n != sum.Guests || n == 0 {
			t.Errorf("CountGuests = %d, %v; want %d", n, err, sum.Guests)
		}
		if n, err := src.CountNonEmailThreepids(ctx); err != nil || n != sum.Phones || n == 0 {
			t.Errorf("CountNonEmailThreepids = %d, %v; want %d", n, err, sum.Phones)
		}
	})
}

// fn's error stops a listing and comes back as it is.
func TestListingStopsAtCallbackError(t *testing.T) {
	onBoth(t, func(t *testing.T, driver string, newDSN func() string) {
		dsn, _ := homeserver(t, driver, newDSN, synapsegen.Default(30))
		src := open(t, driver, dsn, false)
		stop := errors.New("stop")
		calls := 0
		err := src.Users(context.Background(), func(synapsedb.User) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("err %v after %d calls, want stop after 1", err, calls)
		}
		// The snapshot goes on after a stopped listing.
		if l := listAll(t, src); len(l.users) != 30 {
			t.Errorf("%d users after a stopped listing", len(l.users))
		}
	})
}
