package compat_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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
		Store:    e.store,
		Sessions: e.h.Sessions,
		Login:    e.h.Login,
		Pages:    e.h.Pages,
		URLs:     e.urls,
		Clock:    e.clock,
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
	// Presenting the old refresh token again before the new pair was used
	// is a retry after a lost response: it works once, replacing the pair.
	retried := refreshed
	_, err = cli.MakeRequest(ctx, http.MethodPost, cli.BuildClientURL("v3", "refresh"),
		map[string]string{"refresh_token": resp.RefreshToken}, &retried)
	if err != nil || retried.AccessToken == refreshed.AccessToken {
		t.Fatalf("retrying the refresh: %+v, %v", retried, err)
	}
	_, err = cli.MakeRequest(ctx, http.MethodPost, cli.BuildClientURL("v3", "refresh"),
		map[string]string{"refresh_token": resp.RefreshToken}, nil)
	if !errors.Is(err, mautrix.MUnknownToken) {
		t.Errorf("reusing the refresh token a third time: %v", err)
	}

	// The old access token is dead, and so is the replaced pair's.
	for _, dead := range []string{resp.AccessToken, refreshed.AccessToken} {
		cli.AccessToken = dead
		if _, err = cli.Logout(ctx); !errors.Is(err, mautrix.MUnknownToken) {
			t.Errorf("logout with a rotated-away token: %v", err)
		}
	}
	cli.AccessToken = retried.AccessToken

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
	res := b.Get(ssoURL)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("SSO redirect: %d %s", res.Status, res.Body)
	}
	complete := res.Location
	// Not logged in: off to the login page, which brings the browser back.
	res = b.Get(complete)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "kind=continue_compat_sso_login") {
		t.Fatalf("consent without session: %d Location %q", res.Status, res.Location)
	}
	loginPage := res.Location
	page := b.Get(loginPage)
	if page.Status != http.StatusOK {
		t.Fatalf("login page: %d %s", page.Status, page.Body)
	}
	res = b.Submit(page, map[string]string{"username": "alice", "password": "correct horse"}, "")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("login form: %d %s", res.Status, res.Body)
	}
	if !strings.Contains(res.Location, "/complete-compat-sso/") {
		t.Fatalf("after login the browser went to %q", res.Location)
	}
	token := e.ssoApprove(b, res.Location)

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
