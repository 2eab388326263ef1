package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("SessionsPage",
		test{"BrowserSessions", testBrowserSessionListPage},
		test{"CompatSessions", testCompatSessionListPage},
		test{"OAuth2Sessions", testOAuth2SessionListPage},
	)
}

func testBrowserSessionListPage(t *testing.T, h *H) {
	ctx := context.Background()
	alice, bob := newUser(t, h, "alice"), newUser(t, h, "bob")
	repo := h.S.BrowserSessions()
	var ids []domain.ID
	var created []time.Time
	for _, u := range []*domain.User{alice, alice, bob, alice} {
		created = append(created, stamp(h))
		ids = append(ids, mustGet[*domain.BrowserSession](t)(repo.Add(ctx, u.ID, "UA")).ID)
	}
	must(t, repo.RecordActivity(ctx, ids[1], created[1].Add(time.Hour), "10.0.0.1"))
	must(t, repo.RecordActivity(ctx, ids[2], created[2].Add(2*time.Hour), "10.0.0.2"))
	s := mustGet[*domain.BrowserSession](t)(repo.Lookup(ctx, ids[0]))
	must(t, repo.Finish(ctx, s))
	lastActive := created[1].Add(time.Hour)
	checkPage(t, []pageCase[store.BrowserSessionFilter]{
		{"all", store.BrowserSessionFilter{}, []int{0, 1, 2, 3}},
		{"user", store.BrowserSessionFilter{UserID: alice.ID}, []int{0, 1, 3}},
		{"unknown user", store.BrowserSessionFilter{UserID: absentID()}, nil},
		{"active", store.BrowserSessionFilter{Status: store.SessionStatusActive}, []int{1, 2, 3}},
		{"finished", store.BrowserSessionFilter{Status: store.SessionStatusFinished}, []int{0}},
		{"created before", store.BrowserSessionFilter{SessionTimes: store.SessionTimes{CreatedBefore: &created[1]}}, []int{0}},
		{"created after", store.BrowserSessionFilter{SessionTimes: store.SessionTimes{CreatedAfter: &created[1]}}, []int{2, 3}},
		{"last active before", store.BrowserSessionFilter{SessionTimes: store.SessionTimes{LastActiveBefore: &created[3]}}, nil},
		{"last active after", store.BrowserSessionFilter{SessionTimes: store.SessionTimes{LastActiveAfter: &lastActive}}, []int{2}},
		{"last active at most", store.BrowserSessionFilter{SessionTimes: store.SessionTimes{LastActiveBefore: new(lastActive.Add(time.Second))}}, []int{1}},
		{"combined", store.BrowserSessionFilter{UserID: alice.ID, Status: store.SessionStatusActive}, []int{1, 3}},
	}, ids, func(s *domain.BrowserSession) domain.ID { return s.ID }, repo.ListPage, repo.CountFiltered)
}

func testCompatSessionListPage(t *testing.T, h *H) {
	ctx := context.Background()
	alice, bob := newUser(t, h, "alice"), newUser(t, h, "bob")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, alice.ID, ""))
	repo := h.S.CompatSessions()
	var ids []domain.ID
	var created []time.Time
	for i, u := range []*domain.User{alice, bob, alice, alice} {
		created = append(created, stamp(h))
		s := &domain.CompatSession{UserID: u.ID, DeviceID: "DEV" + string(rune('A'+i))}
		if i == 2 {
			s.BrowserSessionID = &bs.ID
		}
		must(t, repo.Add(ctx, s))
		ids = append(ids, s.ID)
	}
	// Session 2 came from an SSO login.
	const redirect = "https://client.example/cb?x=1"
	sso := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Add(ctx, redirect, "logintoken"))
	must(t, h.S.CompatSSOLogins().Fulfill(ctx, sso, bs.ID))
	must(t, h.S.CompatSSOLogins().Exchange(ctx, sso, ids[2]))
	must(t, repo.RecordActivity(ctx, ids[3], created[3].Add(time.Hour), "10.0.0.3"))
	must(t, repo.Finish(ctx, mustGet[*domain.CompatSession](t)(repo.Lookup(ctx, ids[1]))))

	entry := mustGet[*store.CompatSessionEntry](t)(repo.LookupEntry(ctx, ids[2]))
	if entry.RedirectURI != redirect || entry.ID != ids[2] || entry.BrowserSessionID == nil || *entry.BrowserSessionID != bs.ID {
		t.Errorf("entry = %+v, redirect %q", entry.CompatSession, entry.RedirectURI)
	}
	if e := mustGet[*store.CompatSessionEntry](t)(repo.LookupEntry(ctx, ids[0])); e.RedirectURI != "" || e.DeviceID != "DEVA" {
		t.Errorf("password session entry = %+v, redirect %q", e.CompatSession, e.RedirectURI)
	}
	_, err := repo.LookupEntry(ctx, absentID())
	wantErr(t, err, store.ErrNotFound)
	listed := mustGet[[]*store.CompatSessionEntry](t)(repo.ListPage(ctx, store.CompatSessionFilter{BrowserSessionID: bs.ID}, store.Page{Limit: 10}))
	if len(listed) != 1 || listed[0].RedirectURI != redirect {
		t.Errorf("listed by browser session: %+v", listed)
	}

	checkPage(t, []pageCase[store.CompatSessionFilter]{
		{"all", store.CompatSessionFilter{}, []int{0, 1, 2, 3}},
		{"user", store.CompatSessionFilter{UserID: alice.ID}, []int{0, 2, 3}},
		{"browser session", store.CompatSessionFilter{BrowserSessionID: bs.ID}, []int{2}},
		{"active", store.CompatSessionFilter{Status: store.SessionStatusActive}, []int{0, 2, 3}},
		{"finished", store.CompatSessionFilter{Status: store.SessionStatusFinished}, []int{1}},
		{"created before", store.CompatSessionFilter{SessionTimes: store.SessionTimes{CreatedBefore: &created[2]}}, []int{0, 1}},
		{"created after", store.CompatSessionFilter{SessionTimes: store.SessionTimes{CreatedAfter: &created[2]}}, []int{3}},
		{"last active after", store.CompatSessionFilter{SessionTimes: store.SessionTimes{LastActiveAfter: &created[3]}}, []int{3}},
		{"last active before", store.CompatSessionFilter{SessionTimes: store.SessionTimes{LastActiveBefore: &created[3]}}, nil},
	}, ids, func(e *store.CompatSessionEntry) domain.ID { return e.ID }, repo.ListPage, repo.CountFiltered)
}

func testOAuth2SessionListPage(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	bob := newUser(t, h, "bob")
	static := &domain.Client{ID: domain.NewIDGenerator(zeroReader{}).New(Start.Add(-time.Hour)), GrantClientCredentials: true}
	must(t, h.S.Clients().UpsertStatic(ctx, static))
	repo := h.S.Sessions()
	var ids []domain.ID
	var created []time.Time
	for _, s := range []*domain.Session{
		{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID, Scope: []string{"openid", "urn:matrix:client:api:*"}},
		{ClientID: f.client.ID, UserID: &bob.ID, Scope: []string{"openid"}},
		{ClientID: static.ID, Scope: []string{"urn:mas:admin"}},
		{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"OPENID", "openid2"}},
	} {
		created = append(created, stamp(h))
		must(t, repo.Add(ctx, s))
		ids = append(ids, s.ID)
	}
	must(t, repo.RecordActivity(ctx, ids[1], created[1].Add(time.Hour), "10.0.0.1"))
	must(t, repo.Finish(ctx, mustGet[*domain.Session](t)(repo.Lookup(ctx, ids[2]))))
	yes, no := true, false
	checkPage(t, []pageCase[store.OAuth2SessionFilter]{
		{"all", store.OAuth2SessionFilter{}, []int{0, 1, 2, 3}},
		{"user", store.OAuth2SessionFilter{UserID: f.user.ID}, []int{0, 3}},
		{"client", store.OAuth2SessionFilter{ClientIDs: []domain.ID{f.client.ID}}, []int{0, 1, 3}},
		{"clients", store.OAuth2SessionFilter{ClientIDs: []domain.ID{static.ID, f.client.ID}}, []int{0, 1, 2, 3}},
		{"static", store.OAuth2SessionFilter{StaticClient: &yes}, []int{2}},
		{"dynamic", store.OAuth2SessionFilter{StaticClient: &no}, []int{0, 1, 3}},
		{"browser session", store.OAuth2SessionFilter{BrowserSessionID: f.browser.ID}, []int{0}},
		{"scope token", store.OAuth2SessionFilter{Scope: []string{"openid"}}, []int{0, 1}},
		{"scope is exact and case-sensitive", store.OAuth2SessionFilter{Scope: []string{"OPENID"}}, []int{3}},
		{"every scope token", store.OAuth2SessionFilter{Scope: []string{"openid", "urn:matrix:client:api:*"}}, []int{0}},
		{"active", store.OAuth2SessionFilter{Status: store.SessionStatusActive}, []int{0, 1, 3}},
		{"finished", store.OAuth2SessionFilter{Status: store.SessionStatusFinished}, []int{2}},
		{"created after", store.OAuth2SessionFilter{SessionTimes: store.SessionTimes{CreatedAfter: &created[1]}}, []int{2, 3}},
		{"created before", store.OAuth2SessionFilter{SessionTimes: store.SessionTimes{CreatedBefore: &created[1]}}, []int{0}},
		{"last active after", store.OAuth2SessionFilter{SessionTimes: store.SessionTimes{LastActiveAfter: &created[1]}}, []int{1}},
		{"combined", store.OAuth2SessionFilter{UserID: f.user.ID, Scope: []string{"openid"}, Status: store.SessionStatusActive}, []int{0}},
	}, ids, func(s *domain.Session) domain.ID { return s.ID }, repo.ListPage, repo.CountFiltered)
}
