package compat_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"

	"mas/internal/jobs"
	"mas/internal/web"
)

// These tests drive the endpoints with a real Matrix client library,
// mautrix-go, as bridges and bots do.

// startJobs runs the production job workers against the env's store and
// homeserver until the test ends.
func (e *env) startJobs(t *testing.T) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	workers := jobs.Workers(jobs.Deps{Store: e.store, Homeserver: e.conn, Clock: e.clock, Logger: logger})
	r, err := jobs.NewRunner(e.driver, workers, jobs.Options{Logger: logger, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stopping the job runner: %v", err)
		}
	})
}

// mountWeb adds the real login pages, so that a browser logs in the way a
// user does.
func (e *env) mountWeb() {
	(&web.Handler{
		Store:     e.store,
		Sessions:  e.h.Sessions,
		Passwords: e.pw,
		Limits:    e.limits,
		Templates: e.h.Templates,
		URLs:      e.urls,
		Clock:     e.clock,
		Settings:  web.Settings{ServiceName: "Test MAS", ServerName: e.hs.ServerName()},
	}).Mount(e.mux)
}

// waitDevices waits until the homeserver's device list for localpart is
// want (the device sync runs in the background).
func (e *env) waitDevices(t *testing.T, localpart string, want []string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := e.hs.Devices(localpart)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("devices of %s are %v, want %v", localpart, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMautrixPasswordLoginRefreshLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startJobs(t)
	e.user("alice", "correct horse")
	ctx := context.Background()

	cli, err := mautrix.NewClient(e.srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	flows, err := cli.GetLoginFlows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []mautrix.AuthType{mautrix.AuthTypePassword, mautrix.AuthTypeSSO, mautrix.AuthTypeToken} {
		if !flows.HasFlow(f) {
			t.Errorf("flows %+v lack %s", flows.Flows, f)
		}
	}

	_, err = cli.Login(ctx, &mautrix.ReqLogin{
		Type:       mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: "alice"},
		Password:   "wrong",
	})
	if !errors.Is(err, mautrix.MForbidden) {
		t.Fatalf("wrong password: %v", err)
	}

	resp, err := cli.Login(ctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: "alice"},
		Password:                 "correct horse",
		InitialDeviceDisplayName: "mautrix test",
		RefreshToken:             true,
		StoreCredentials:         true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.UserID != "@alice:example.com" || resp.RefreshToken == "" || resp.ExpiresInMS != 300000 || cli.AccessToken != resp.AccessToken {
		t.Fatalf("login response %+v", resp)
	}
	device := string(resp.DeviceID)
	if got := e.hs.Devices("alice"); !slices.Equal(got, []string{device}) {
		t.Fatalf("devices after login %v, want [%s]", got, device)
	}

	// mautrix refreshes OAuth sessions itself; the legacy refresh is a
	// plain request.
	var refreshed struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresInMS  int64  `json:"expires_in_ms"`
	}
	_, err = cli.MakeRequest(ctx, http.MethodPost, cli.BuildClientURL("v3", "refresh"),
		map[string]string{"refresh_token": resp.RefreshToken}, &refreshed)
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.AccessToken == "" || refreshed.RefreshToken == "" || refreshed.ExpiresInMS != 300000 {
		t.Fatalf("refresh response %+v", refreshed)
	}
	_, err = cli.MakeRequest(ctx, http.MethodPost, cli.BuildClientURL("v3", "refresh"),
		map[string]string{"refresh_token": resp.RefreshToken}, nil)
	if !errors.Is(err, mautrix.MUnknownToken) {
		t.Errorf("reusing the refresh token: %v", err)
	}

	// The old access token is dead, the new one works.
	_, err = cli.Logout(ctx)
	if !errors.Is(err, mautrix.MUnknownToken) {
		t.Errorf("logout with the rotated-away token: %v", err)
	}
	cli.AccessToken = refreshed.AccessToken

	// mautrix's LogoutAll does not opt in to compat-only logout.
	if _, err := cli.LogoutAll(ctx); !errors.Is(err, mautrix.MUnrecognized) {
		t.Errorf("logout/all: %v", err)
	}

	if _, err := cli.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitDevices(t, "alice", nil)
	if _, err := cli.Logout(ctx); !errors.Is(err, mautrix.MUnknownToken) {
		t.Errorf("second logout: %v", err)
	}
}

func TestMautrixSSOLogin(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mountWeb()
	e.startJobs(t)
	e.user("alice", "correct horse")
	ctx := context.Background()

	cli, err := mautrix.NewClient(e.srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	// The client opens the SSO URL in a browser, with where to come back.
	redirectURL := "http://client.example/sso-callback?session=abc"
	ssoURL := cli.BuildURLWithQuery(mautrix.ClientURLPath{"v3", "login", "sso", "redirect"},
		map[string]string{"redirectUrl": redirectURL})

	b := e.browser()
	res := b.get(ssoURL)
	if res.status != http.StatusSeeOther {
		t.Fatalf("SSO redirect: %d %s", res.status, res.raw)
	}
	complete := res.location
	// Not logged in: off to the login page, which brings the browser back.
	res = b.get(complete)
	if res.status != http.StatusSeeOther || !strings.Contains(res.location, "kind=continue_compat_sso_login") {
		t.Fatalf("consent without session: %d Location %q", res.status, res.location)
	}
	loginPage := res.location
	page := b.get(loginPage)
	if page.status != http.StatusOK {
		t.Fatalf("login page: %d %s", page.status, page.raw)
	}
	form := formAction(t, page, loginPage)
	res = b.post(form, url.Values{"csrf": {csrfOf(t, page)}, "username": {"alice"}, "password": {"correct horse"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("login form: %d %s", res.status, res.raw)
	}
	if !strings.Contains(res.location, "/complete-compat-sso/") {
		t.Fatalf("after login the browser went to %q", res.location)
	}
	token := b.ssoApprove(res.location)

	resp, err := cli.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypeToken, Token: token, StoreCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp.UserID != "@alice:example.com" || resp.RefreshToken != "" {
		t.Fatalf("token login %+v", resp)
	}
	if got := e.hs.Devices("alice"); !slices.Equal(got, []string{string(resp.DeviceID)}) {
		t.Fatalf("devices %v", got)
	}
	// The token was single-use.
	other, _ := mautrix.NewClient(e.srv.URL, "", "")
	if _, err := other.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypeToken, Token: token}); !errors.Is(err, mautrix.MForbidden) {
		t.Errorf("second token login: %v", err)
	}
	if _, err := cli.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitDevices(t, "alice", nil)
}

// formAction finds where a page's form posts, resolved against the page.
func formAction(t *testing.T, page response, pageURL string) string {
	t.Helper()
	i := strings.Index(page.raw, `<form method="post" action="`)
	if i < 0 {
		t.Fatalf("no form in:\n%s", page.raw)
	}
	rest := page.raw[i+len(`<form method="post" action="`):]
	action := strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := url.Parse(action)
	if err != nil {
		t.Fatal(fmt.Errorf("form action %q: %w", action, err))
	}
	return base.ResolveReference(ref).String()
}
