package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/session"
)

// TestAccountSessionsList: every kind of session shows, with its client
// or name, device, last activity (relative and absolute), address and
// user agent; this browser and long-unused sessions are marked.
func TestAccountSessionsList(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	oauth := a.oauthSession("Element <Web>", "OAUTHDEVICE")
	if err := a.store.Sessions().RecordActivity(ctx, oauth.ID, a.clock.Now().Add(-3*time.Hour), "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	compat := &domain.CompatSession{UserID: a.alice.ID, DeviceID: "COMPATDEV", HumanName: "Old phone", UserAgent: "mautrix/1.0"}
	if err := a.store.CompatSessions().Add(ctx, compat); err != nil {
		t.Fatal(err)
	}
	if err := a.store.CompatSessions().RecordActivity(ctx, compat.ID, a.clock.Now().Add(-100*24*time.Hour), "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
	personal := &domain.PersonalSession{OwnerUserID: &a.alice.ID, ActorUserID: a.alice.ID, HumanName: "Backup bot", Scope: []string{"urn:matrix:client:api:*"}}
	if err := a.store.PersonalSessions().Add(ctx, personal); err != nil {
		t.Fatal(err)
	}
	bob := a.user("bob", "")
	bobs := &domain.CompatSession{UserID: bob.ID, DeviceID: "BOBDEVICE"}
	if err := a.store.CompatSessions().Add(ctx, bobs); err != nil {
		t.Fatal(err)
	}

	res := a.b.Get("/account/sessions")
	want(t, "list", res, http.StatusOK,
		"Element &lt;Web&gt;", "OAUTHDEVICE", "3 hours ago", "(2026-03-04 02:06 UTC)", "192.0.2.7", "mautrix/1.0",
		"Old phone", "COMPATDEV", "3 months ago", "Inactive for 90&#43; days",
		"Backup bot", "Web browser", "This browser",
		"/auth/account/sessions/"+oauth.ID.String()+"/end", "/auth/account/sessions/"+compat.ID.String()+"/end")
	if strings.Contains(res.Body, "BOBDEVICE") {
		t.Fatalf("bob's session on alice's list:\n%s", res.Body)
	}
	if strings.Count(res.Body, "Inactive for 90&#43; days") != 1 {
		t.Fatalf("inactive marks:\n%s", res.Body)
	}
	want(t, "oauth page", a.b.Get("/account/sessions/"+oauth.ID.String()), http.StatusOK,
		"Element &lt;Web&gt;", "OAUTHDEVICE", "urn:matrix:client:api:*", "2026-03-04 02:06 UTC", "192.0.2.7")
	want(t, "compat page", a.b.Get("/account/sessions/"+compat.ID.String()), http.StatusOK, "Old phone", "mautrix/1.0", "has not been used for 90 days")
	want(t, "profile count", a.b.Get("/account/"), http.StatusOK, "4 active sessions")
}

// TestAccountEndSessions: ending an OAuth 2.0 or legacy session finishes
// it and queues the device sync in the same transaction; a personal
// session the user owns is revoked.
func TestAccountEndSessions(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	oauth := a.oauthSession("Element", "OAUTHDEVICE")
	compat := &domain.CompatSession{UserID: a.alice.ID, DeviceID: "COMPATDEV"}
	if err := a.store.CompatSessions().Add(ctx, compat); err != nil {
		t.Fatal(err)
	}
	personal := &domain.PersonalSession{OwnerUserID: &a.alice.ID, ActorUserID: a.alice.ID, Scope: []string{"urn:matrix:client:api:*", "urn:matrix:client:device:PATDEVICE"}}
	if err := a.store.PersonalSessions().Add(ctx, personal); err != nil {
		t.Fatal(err)
	}

	for i, id := range []domain.ID{oauth.ID, compat.ID, personal.ID} {
		page := "/account/sessions/" + id.String()
		wantRedirect(t, "end", a.submit(page, page+"/end", nil), "/auth/account/sessions?done=session-ended")
		if jobs := a.jobs("sync-devices"); len(jobs) != i+1 || jobs[i]["user_id"] != a.alice.ID.String() {
			t.Fatalf("device syncs after ending %s: %v", id, jobs)
		}
		want(t, "ended", a.b.Get(page), http.StatusNotFound, "There is no such session on your account")
	}
	if s, _ := a.store.Sessions().Lookup(ctx, oauth.ID); s.Active() {
		t.Error("OAuth 2.0 session still active")
	}
	if s, _ := a.store.CompatSessions().Lookup(ctx, compat.ID); s.Active() {
		t.Error("compat session still active")
	}
	if s, _ := a.store.PersonalSessions().Lookup(ctx, personal.ID); s.RevokedAt == nil {
		t.Error("personal session not revoked")
	}
	want(t, "list", a.b.Get("/account/sessions?done=session-ended"), http.StatusOK, "The session was ended.", "No app is signed in to your account.")
}

// TestAccountEndSessionRefusals: an unknown, malformed or someone else's
// session in the URL, a session already ended, a personal session an
// administrator handed out, a missing CSRF token: a clear answer and
// nothing changed.
func TestAccountEndSessionRefusals(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	mine := a.oauthSession("Element", "OAUTHDEVICE")
	bob := a.user("bob", "")
	bobs := &domain.CompatSession{UserID: bob.ID, DeviceID: "BOBDEVICE"}
	if err := a.store.CompatSessions().Add(ctx, bobs); err != nil {
		t.Fatal(err)
	}
	bobBrowser, err := a.store.BrowserSessions().Add(ctx, bob.ID, "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	handedOut := &domain.PersonalSession{OwnerClientID: &mine.ClientID, ActorUserID: a.alice.ID, HumanName: "Admin tool", Scope: []string{"urn:matrix:client:api:*"}}
	if err := a.store.PersonalSessions().Add(ctx, handedOut); err != nil {
		t.Fatal(err)
	}
	ended := &domain.CompatSession{UserID: a.alice.ID, DeviceID: "ENDED"}
	if err := a.store.CompatSessions().Add(ctx, ended); err != nil {
		t.Fatal(err)
	}
	if err := a.store.CompatSessions().Finish(ctx, ended); err != nil {
		t.Fatal(err)
	}

	for name, id := range map[string]string{
		"unknown": domain.NewIDGenerator(rand.Reader).New(a.clock.Now()).String(), "malformed": "not-an-id",
		"bob's compat": bobs.ID.String(), "bob's browser": bobBrowser.ID.String(),
		"ended": ended.ID.String(), "handed out": handedOut.ID.String(),
	} {
		want(t, name, a.submit("/account/sessions", "/account/sessions/"+id+"/end", nil), http.StatusNotFound,
			"There is no such session on your account, or it has already ended. Nothing was changed.")
		if name != "handed out" {
			want(t, name+" page", a.b.Get("/account/sessions/"+id), http.StatusNotFound)
		}
	}
	want(t, "handed out page", a.b.Get("/account/sessions/"+handedOut.ID.String()), http.StatusOK, "Admin tool", "can only be ended by them")
	want(t, "no CSRF", a.b.Post("/account/sessions/"+mine.ID.String()+"/end", nil), http.StatusForbidden)

	if s, _ := a.store.Sessions().Lookup(ctx, mine.ID); !s.Active() {
		t.Error("alice's session ended")
	}
	if s, _ := a.store.CompatSessions().Lookup(ctx, bobs.ID); !s.Active() {
		t.Error("bob's session ended")
	}
	if s, _ := a.store.BrowserSessions().Lookup(ctx, bobBrowser.ID); !s.Active() {
		t.Error("bob's browser session ended")
	}
	if s, _ := a.store.PersonalSessions().Lookup(ctx, handedOut.ID); s.RevokedAt != nil {
		t.Error("handed-out personal session revoked")
	}
	if jobs := a.jobs("sync-devices"); len(jobs) != 0 {
		t.Fatalf("refusals queued device syncs: %v", jobs)
	}
}

// TestAccountEndBrowserSessions: ending another browser signs that one
// out; ending this one signs out here.
func TestAccountEndBrowserSessions(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	other := a.browser()
	logIn(t, other, "alice", strongPassword)
	list, err := a.store.BrowserSessions().ListActiveForUser(ctx, a.alice.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("browser sessions %v, %v", list, err)
	}
	res := a.b.Get("/account/sessions")
	want(t, "list", res, http.StatusOK, "This browser", "Sign out")

	// Which is which: the current one is marked on its own page.
	var mine, theirs *domain.BrowserSession
	for _, s := range list {
		if strings.Contains(a.b.Get("/account/sessions/"+s.ID.String()).Body, "This browser") {
			mine = s
		} else {
			theirs = s
		}
	}
	if mine == nil || theirs == nil {
		t.Fatal("the current browser session is not marked")
	}
	page := "/account/sessions/" + theirs.ID.String()
	wantRedirect(t, "end other", a.submit(page, page+"/end", nil), "/auth/account/sessions?done=session-ended")
	wantRedirect(t, "other browser signed out", other.Get("/account/"), "/auth/login?kind=manage_account")

	page = "/account/sessions/" + mine.ID.String()
	wantRedirect(t, "end current", a.submit(page, page+"/end", nil), "/auth/login")
	if c := a.b.Cookie(session.CookieSession); c != nil {
		t.Errorf("session cookie kept: %v", c)
	}
	wantRedirect(t, "signed out", a.b.Get("/account/"), "/auth/login?kind=manage_account")
	if s, _ := a.store.BrowserSessions().Lookup(ctx, mine.ID); s.Active() {
		t.Error("current browser session still active")
	}
}
