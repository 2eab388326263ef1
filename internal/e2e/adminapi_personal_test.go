package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/testenv"
	"mas/internal/tokens"
)

// TestAdminAPIPersonalSessions: personal access tokens created, listed,
// read, regenerated and revoked through the Admin API, and used as the
// Admin API's bearer: they work while valid and hold urn:mas:admin, stop
// when revoked or replaced, and follow upstream's rules on their users.
func TestAdminAPIPersonalSessions(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		admin := clientCredentialsToken(t, e, "urn:mas:admin")
		alice, bob := e.CreateUser("alice", "correct horse battery"), e.CreateUser("bob", "correct horse battery")
		users := "/api/admin/v1/users"

		// Created by a client_credentials caller: the client owns it.
		created := adminCall(t, e, admin, "POST", "/api/admin/v1/personal-sessions", map[string]any{
			"actor_user_id": alice.ID.String(), "human_name": "alice's CI", "scope": "urn:mas:admin openid urn:mas:admin", "expires_in": 3600,
		}).expect(t, http.StatusCreated)
		pat, _ := created.Data.Attributes["access_token"].(string)
		attrs := created.Data.Attributes
		if !strings.HasPrefix(pat, "mpt_") || created.Data.Type != "personal-session" ||
			attrs["owner_client_id"] != adminClientID || attrs["owner_user_id"] != nil || attrs["actor_user_id"] != alice.ID.String() ||
			attrs["human_name"] != "alice's CI" || attrs["scope"] != "openid urn:mas:admin" || attrs["revoked_at"] != nil ||
			attrs["expires_at"] == nil || created.Links.Self != "/api/admin/v1/personal-sessions/"+created.Data.ID {
			t.Fatalf("created %+v", created.Data)
		}
		sessionPath := "/api/admin/v1/personal-sessions/" + created.Data.ID
		patStoredOnlyHashed(t, e, created.Data.ID, pat)

		// The token calls the Admin API; the session reads without its token.
		adminCall(t, e, pat, "GET", users, nil).expect(t, http.StatusOK)
		got := adminCall(t, e, pat, "GET", sessionPath, nil).expect(t, http.StatusOK)
		if _, has := got.Data.Attributes["access_token"]; has || got.Data.Attributes["expires_at"] != attrs["expires_at"] {
			t.Errorf("GET session %v", got.Data.Attributes)
		}

		// Created by a personal session's caller: its actor owns it.
		byPAT := adminCall(t, e, pat, "POST", "/api/admin/v1/personal-sessions", map[string]any{
			"actor_user_id": bob.ID.String(), "human_name": "bob's bot", "scope": "openid",
		}).expect(t, http.StatusCreated)
		bobPAT, _ := byPAT.Data.Attributes["access_token"].(string)
		if byPAT.Data.Attributes["owner_user_id"] != alice.ID.String() || byPAT.Data.Attributes["owner_client_id"] != nil ||
			byPAT.Data.Attributes["expires_at"] != nil {
			t.Errorf("session created with a PAT: %v", byPAT.Data.Attributes)
		}
		// Without urn:mas:admin: 403.
		adminCall(t, e, bobPAT, "GET", users, nil).expect(t, http.StatusForbidden, "Missing urn:mas:admin scope")

		// Listing and filters.
		names := func(query string) []string {
			t.Helper()
			a := adminCall(t, e, admin, "GET", "/api/admin/v1/personal-sessions?"+query, nil).expect(t, http.StatusOK)
			var out []string
			for _, r := range a.List {
				out = append(out, r.Attributes["human_name"].(string))
			}
			if a.Meta == nil || a.Meta.Count != len(out) {
				t.Errorf("%s: meta %+v for %d sessions", query, a.Meta, len(out))
			}
			slices.Sort(out)
			return out
		}
		soon := filterTime(time.Now().Add(2 * time.Hour))
		for query, want := range map[string][]string{
			"":                                      {"alice's CI", "bob's bot"},
			"filter[owner_client]=" + adminClientID: {"alice's CI"},
			"filter[owner_user]=" + alice.ID.String():          {"bob's bot"},
			"filter[actor_user]=" + alice.ID.String():          {"alice's CI"},
			"filter[scope]=urn:mas:admin":                      {"alice's CI"},
			"filter[scope]=openid&filter[scope]=urn:mas:admin": {"alice's CI"},
			"filter[status]=active":                            {"alice's CI", "bob's bot"},
			"filter[status]=revoked":                           nil,
			"filter[expires]=true":                             {"alice's CI"},
			"filter[expires]=false":                            {"bob's bot"},
			"filter[expires_before]=" + soon:                   {"alice's CI"},
			"filter[expires_after]=" + soon:                    nil,
		} {
			if got := names(query); !slices.Equal(got, want) {
				t.Errorf("%q: %v, want %v", query, got, want)
			}
		}

		// Regenerate: a new token, the old one refused; only the owner may.
		adminCall(t, e, pat, "POST", sessionPath+"/regenerate", map[string]any{}).
			expect(t, http.StatusForbidden, "Session does not belong to you")
		regen := adminCall(t, e, admin, "POST", sessionPath+"/regenerate", map[string]any{"expires_in": 60}).expect(t, http.StatusCreated)
		newPAT, _ := regen.Data.Attributes["access_token"].(string)
		if !strings.HasPrefix(newPAT, "mpt_") || newPAT == pat || regen.Data.ID != created.Data.ID {
			t.Fatalf("regenerated %+v", regen.Data)
		}
		adminCall(t, e, pat, "GET", users, nil).expect(t, http.StatusUnauthorized)
		adminCall(t, e, newPAT, "GET", users, nil).expect(t, http.StatusOK)
		patStoredOnlyHashed(t, e, created.Data.ID, newPAT)

		// The actor locked: still allowed; deactivated: refused.
		setUser(t, e, alice.ID, func(u *domain.User) { u.Lock(time.Now()) })
		adminCall(t, e, newPAT, "GET", users, nil).expect(t, http.StatusOK)
		setUser(t, e, alice.ID, func(u *domain.User) {
			u.Unlock()
			if err := u.Deactivate(time.Now()); err != nil {
				t.Fatal(err)
			}
		})
		adminCall(t, e, newPAT, "GET", users, nil).expect(t, http.StatusUnauthorized)
		setUser(t, e, alice.ID, func(u *domain.User) {
			if err := u.Reactivate(); err != nil {
				t.Fatal(err)
			}
		})
		adminCall(t, e, newPAT, "GET", users, nil).expect(t, http.StatusOK)

		// Revoke: the token stops working; a second revoke is a conflict.
		revoked := adminCall(t, e, admin, "POST", sessionPath+"/revoke", nil).expect(t, http.StatusOK)
		if revoked.Data.Attributes["revoked_at"] == nil || revoked.Data.Attributes["expires_at"] != nil {
			t.Errorf("revoked %v", revoked.Data.Attributes)
		}
		adminCall(t, e, newPAT, "GET", users, nil).expect(t, http.StatusUnauthorized)
		adminCall(t, e, admin, "POST", sessionPath+"/revoke", nil).
			expect(t, http.StatusConflict, "Personal session with ID "+created.Data.ID+" is already revoked")
		adminCall(t, e, admin, "POST", sessionPath+"/regenerate", map[string]any{}).expect(t, http.StatusUnprocessableEntity, "Session not valid")
		if got := names("filter[status]=revoked"); !slices.Equal(got, []string{"alice's CI"}) {
			t.Errorf("revoked sessions: %v", got)
		}

		// Bad input.
		zero := domain.ZeroID.String()
		post := func(body any) apiAnswer {
			return adminCall(t, e, admin, "POST", "/api/admin/v1/personal-sessions", body)
		}
		post(map[string]any{"actor_user_id": zero, "human_name": "x", "scope": "openid"}).expect(t, http.StatusNotFound, "User not found")
		post(map[string]any{"actor_user_id": bob.ID.String(), "human_name": "x", "scope": "open\nid"}).expect(t, http.StatusBadRequest, "Invalid scope")
		post(map[string]any{"actor_user_id": bob.ID.String(), "human_name": "x", "scope": "a  b"}).expect(t, http.StatusBadRequest, "Invalid scope")
		post(`{"actor_user_id": `).expect(t, http.StatusBadRequest)
		post(map[string]any{"actor_user_id": "nope", "human_name": "x", "scope": "openid"}).expect(t, http.StatusBadRequest)
		post(map[string]any{"actor_user_id": bob.ID.String(), "scope": "openid", "expires_in": -1}).expect(t, http.StatusBadRequest)
		adminCall(t, e, admin, "GET", "/api/admin/v1/personal-sessions/"+zero, nil).expect(t, http.StatusNotFound, "Personal session not found")
		adminCall(t, e, admin, "POST", "/api/admin/v1/personal-sessions/"+zero+"/revoke", nil).
			expect(t, http.StatusNotFound, "Personal session with ID "+zero+" not found")
		adminCall(t, e, admin, "POST", "/api/admin/v1/personal-sessions/"+zero+"/regenerate", map[string]any{}).
			expect(t, http.StatusNotFound, "Session not found")
		adminCall(t, e, admin, "POST", "/api/admin/v1/personal-sessions/"+zero+"/regenerate", "{").expect(t, http.StatusBadRequest)
		adminCall(t, e, admin, "GET", "/api/admin/v1/personal-sessions/nope", nil).expect(t, http.StatusBadRequest)
		for query, title := range map[string]string{
			"filter[owner_user]=" + zero:   "User ID " + zero + " not found",
			"filter[actor_user]=" + zero:   "User ID " + zero + " not found",
			"filter[owner_client]=" + zero: "Client ID " + zero + " not found",
		} {
			adminCall(t, e, admin, "GET", "/api/admin/v1/personal-sessions?"+query, nil).expect(t, http.StatusNotFound, title)
		}
		for _, q := range []string{"filter[status]=finished", "filter[expires]=soon", "filter[owner_user]=nope", "filter[expires_before]=tomorrow", "filter[scope]=a%20b"} {
			adminCall(t, e, admin, "GET", "/api/admin/v1/personal-sessions?"+q, nil).expect(t, http.StatusBadRequest)
		}
	})
}

// TestAdminAPIPersonalTokenOwner: a personal session a user owns stops
// working when that user can no longer sign in, whatever its actor.
func TestAdminAPIPersonalTokenOwner(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		ctx := context.Background()
		owner, actor := e.CreateUser("owner", "correct horse battery"), e.CreateUser("actor", "correct horse battery")
		s := &domain.PersonalSession{OwnerUserID: &owner.ID, ActorUserID: actor.ID, HumanName: "delegated", Scope: []string{"urn:mas:admin"}}
		if err := e.App.Store.PersonalSessions().Add(ctx, s); err != nil {
			t.Fatal(err)
		}
		// Owned by the user: the client may not regenerate it.
		adminCall(t, e, clientCredentialsToken(t, e, "urn:mas:admin"), "POST",
			"/api/admin/v1/personal-sessions/"+s.ID.String()+"/regenerate", map[string]any{}).
			expect(t, http.StatusForbidden, "Session does not belong to you")
		validPAT, err := tokens.Generate(tokens.PersonalAccessToken, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(validPAT))
		if _, err := e.App.Store.PersonalAccessTokens().Add(ctx, s.ID, sum[:], nil); err != nil {
			t.Fatal(err)
		}
		adminCall(t, e, validPAT, "GET", "/api/admin/v1/users", nil).expect(t, http.StatusOK)
		setUser(t, e, owner.ID, func(u *domain.User) { u.Lock(time.Now()) })
		adminCall(t, e, validPAT, "GET", "/api/admin/v1/users", nil).expect(t, http.StatusUnauthorized)
	})
}

// filterTime renders a time as a filter value.
func filterTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func setUser(t *testing.T, e *testenv.Env, id domain.ID, edit func(*domain.User)) {
	t.Helper()
	u, err := e.App.Store.Users().Lookup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	edit(u)
	if err := e.App.Store.Users().Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// patStoredOnlyHashed checks that the session's rows in
// personal_access_tokens hold the token's SHA-256 and never the token.
func patStoredOnlyHashed(t *testing.T, e *testenv.Env, sessionID, token string) {
	t.Helper()
	db := e.App.Store.(interface{ DB() *sql.DB }).DB()
	rows, err := db.Query(`SELECT * FROM personal_access_tokens WHERE personal_session_id = $1`, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	sum := sha256.Sum256([]byte(token))
	hashed := false
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			text := fmt.Sprint(v)
			if b, ok := v.([]byte); ok {
				text = string(b)
				hashed = hashed || (cols[i] == "access_token_sha256" && string(b) == string(sum[:]))
			}
			if strings.Contains(text, token) || strings.Contains(text, strings.TrimPrefix(token, "mpt_")) {
				t.Fatalf("column %s holds the token", cols[i])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !hashed {
		t.Fatal("no row holds the token's SHA-256")
	}
}
