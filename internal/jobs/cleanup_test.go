package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"mas/internal/domain"
	"mas/internal/jobs"
	"mas/internal/store"
)

// Every default schedule is named after the kind it enqueues (the names
// are shared with upstream's workers), and no name is used twice.
func TestDefaultSchedulesNamedAfterTheirKind(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range jobs.DefaultSchedules() {
		if kind := s.Job().Kind(); s.Name != kind {
			t.Errorf("schedule %s enqueues %s", s.Name, kind)
		}
		if seen[s.Name] {
			t.Errorf("schedule %s defined twice", s.Name)
		}
		seen[s.Name] = true
	}
	for _, want := range []string{
		"cleanup-revoked-oauth-access-tokens", "cleanup-expired-oauth-access-tokens",
		"cleanup-revoked-oauth-refresh-tokens", "cleanup-consumed-oauth-refresh-tokens",
		"cleanup-oauth-authorization-grants", "cleanup-oauth-device-code-grants",
		"cleanup-unused-oauth-authorization-grants", "cleanup-unused-compat-sso-logins",
		"cleanup-unused-upstream-oauth-sessions",
		// Housekeeping (housekeeping.go).
		"cleanup-finished-compat-sessions", "cleanup-finished-oauth2-sessions", "cleanup-finished-user-sessions",
		"cleanup-inactive-oauth2-session-ips", "cleanup-inactive-compat-session-ips", "cleanup-inactive-user-session-ips",
		"cleanup-upstream-oauth-sessions", "cleanup-upstream-oauth-links", "cleanup-user-registrations",
		"cleanup-user-recovery-sessions", "cleanup-user-email-authentications",
	} {
		if !seen[want] {
			t.Errorf("no default schedule runs %s", want)
		}
	}
}

// Every job a default schedule enqueues has a worker that completes it,
// and the OAuth 2.0 clean-ups keep what is younger than their retention.
func TestDefaultScheduledJobsRun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := time.Now()
		var kept, oldToken, newToken *domain.AccessToken
		oldGrant := &domain.AuthorizationGrant{
			RedirectURI: "https://app.example.com/cb", Scope: []string{"openid"}, ResponseMode: "query",
			ResponseTypeCode: true, Code: "old", CreatedAt: now.Add(-8 * 24 * time.Hour),
		}
		newGrant := &domain.AuthorizationGrant{
			RedirectURI: "https://app.example.com/cb", Scope: []string{"openid"}, ResponseMode: "query",
			ResponseTypeCode: true, Code: "new", CreatedAt: now.Add(-6 * 24 * time.Hour),
		}
		// Grants nobody completed go after an hour.
		unusedGrant := &domain.AuthorizationGrant{
			RedirectURI: "https://app.example.com/cb", Scope: []string{"openid"}, ResponseMode: "query",
			ResponseTypeCode: true, Code: "unused", CreatedAt: now.Add(-2 * time.Hour),
		}
		waitingGrant := &domain.AuthorizationGrant{
			RedirectURI: "https://app.example.com/cb", Scope: []string{"openid"}, ResponseMode: "query",
			ResponseTypeCode: true, Code: "waiting", CreatedAt: now.Add(-50 * time.Minute),
		}
		var kinds []string
		err := store.WithTx(ctx, e.store, func(tx store.Tx) error {
			c := &domain.Client{RedirectURIs: []string{"https://app.example.com/cb"}, GrantAuthorizationCode: true, TokenEndpointAuthMethod: "none"}
			if err := tx.Clients().Add(ctx, c); err != nil {
				return err
			}
			s := &domain.Session{ClientID: c.ID, Scope: []string{"openid"}}
			if err := tx.Sessions().Add(ctx, s); err != nil {
				return err
			}
			var err error
			add := func(token string, expiresAt time.Time) *domain.AccessToken {
				if err != nil {
					return nil
				}
				var at *domain.AccessToken
				at, err = tx.AccessTokens().Add(ctx, s.ID, token, &expiresAt)
				return at
			}
			oldToken = add("mat_old", now.Add(-31*24*time.Hour))
			newToken = add("mat_new", now.Add(-29*24*time.Hour))
			// Revoked just now: the revoked-token clean-up keeps it an hour.
			kept = add("mat_revoked", now.Add(time.Hour))
			if err != nil {
				return err
			}
			if err := tx.AccessTokens().Revoke(ctx, kept); err != nil {
				return err
			}
			for _, g := range []*domain.AuthorizationGrant{oldGrant, newGrant, unusedGrant, waitingGrant} {
				g.ClientID = c.ID
				if err := tx.AuthorizationGrants().Add(ctx, g); err != nil {
					return err
				}
			}
			// The 6-day-old grant was completed by its user.
			u, err := tx.Users().Add(ctx, "alice")
			if err != nil {
				return err
			}
			bs, err := tx.BrowserSessions().Add(ctx, u.ID, "")
			if err != nil {
				return err
			}
			if err := tx.AuthorizationGrants().Fulfill(ctx, newGrant, bs.ID); err != nil {
				return err
			}
			for _, s := range jobs.DefaultSchedules() {
				kinds = append(kinds, s.Job().Kind())
				if err := tx.Jobs().Enqueue(ctx, s.Job()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		r := e.start(t, jobs.Options{})
		waitFor(t, "every scheduled job to complete", func() (bool, string) {
			res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds(kinds...).First(100))
			if err != nil {
				t.Fatal(err)
			}
			var pending []string
			for _, j := range res.Jobs {
				if j.State != rivertype.JobStateCompleted {
					pending = append(pending, describeJob(j))
				}
			}
			return len(res.Jobs) == len(kinds) && len(pending) == 0,
				strings.Join(pending, "; ")
		})

		for _, tc := range []struct {
			what   string
			lookup func() error
			gone   bool
		}{
			{"access token expired 31 days ago", func() error { _, err := e.store.AccessTokens().Lookup(ctx, oldToken.ID); return err }, true},
			{"access token expired 29 days ago", func() error { _, err := e.store.AccessTokens().Lookup(ctx, newToken.ID); return err }, false},
			{"access token revoked just now", func() error { _, err := e.store.AccessTokens().Lookup(ctx, kept.ID); return err }, false},
			{"grant created 8 days ago", func() error { _, err := e.store.AuthorizationGrants().Lookup(ctx, oldGrant.ID); return err }, true},
			{"grant created 6 days ago", func() error { _, err := e.store.AuthorizationGrants().Lookup(ctx, newGrant.ID); return err }, false},
			{"unused grant created 2 hours ago", func() error { _, err := e.store.AuthorizationGrants().Lookup(ctx, unusedGrant.ID); return err }, true},
			{"unused grant created 50 minutes ago", func() error { _, err := e.store.AuthorizationGrants().Lookup(ctx, waitingGrant.ID); return err }, false},
		} {
			err := tc.lookup()
			switch {
			case tc.gone && !errors.Is(err, store.ErrNotFound):
				t.Errorf("%s: lookup error = %v, want it deleted", tc.what, err)
			case !tc.gone && err != nil:
				t.Errorf("%s: lookup error = %v, want it kept", tc.what, err)
			}
		}
	})
}
