package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("Activity",
		test{"Batch", testActivityBatch},
		test{"EmptyBatch", func(t *testing.T, h *H) { must(t, h.S.RecordActivities(context.Background(), nil)) }},
	)
}

// testActivityBatch: one batch reaches every kind of session, keeps each
// kind's rules, and drops sightings of sessions that are gone.
func testActivityBatch(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	oauthSession := addOAuth2Session(t, h, f)
	compatSession := newCompatSession(t, h, newUser(t, h, "bob").ID, "DEV")
	browser := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, f.user.ID, ""))
	h.Clock.Advance(time.Hour + 7*time.Microsecond)
	now := h.Clock.Now()
	must(t, h.S.RecordActivities(ctx, []store.Activity{
		{Kind: store.ActivityOAuthSession, SessionID: oauthSession.ID, At: now, IP: "192.0.2.1"},
		{Kind: store.ActivityCompatSession, SessionID: compatSession.ID, At: now, IP: "192.0.2.2"},
		{Kind: store.ActivityBrowserSession, SessionID: browser.ID, At: now, IP: "192.0.2.3"},
		{Kind: store.ActivityOAuthSession, SessionID: oauth2UnknownID(), At: now},
		{Kind: store.ActivityCompatSession, SessionID: absentID(), At: now},
	}))
	s := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, oauthSession.ID))
	sameTimePtr(t, "oauth2 last_active_at", s.LastActiveAt, &now)
	if s.LastActiveIP != "192.0.2.1" {
		t.Fatalf("oauth2 last_active_ip = %q", s.LastActiveIP)
	}
	c := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, compatSession.ID))
	sameTimePtr(t, "compat last_active_at", c.LastActiveAt, &now)
	if c.LastActiveIP != "192.0.2.2" {
		t.Fatalf("compat last_active_ip = %q", c.LastActiveIP)
	}
	b := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Lookup(ctx, browser.ID))
	sameTimePtr(t, "browser last_active_at", b.LastActiveAt, &now)

	// A late sighting from another replica's batch does not move an OAuth
	// 2.0 session back.
	must(t, h.S.RecordActivities(ctx, []store.Activity{
		{Kind: store.ActivityOAuthSession, SessionID: oauthSession.ID, At: now.Add(-time.Minute), IP: "198.51.100.1"},
	}))
	s = mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, oauthSession.ID))
	sameTimePtr(t, "oauth2 last_active_at after a late batch", s.LastActiveAt, &now)

	if err := h.S.RecordActivities(ctx, []store.Activity{{Kind: "nonsense", SessionID: absentID(), At: now}}); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
