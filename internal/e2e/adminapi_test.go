package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/testenv"
)

const (
	adminClientID     = "01JADM1NC11ENT000000000000"
	adminClientSecret = "admin-client-secret"
)

// adminEnv runs the service with the adminapi resource and a static client
// the policy data names in admin_clients.
func adminEnv(t *testing.T, postgres bool) *testenv.Env {
	return testenv.New(t, testenv.Options{Postgres: postgres, Configure: configureAdmin})
}

// configureAdmin serves the adminapi resource and adds the admin client.
func configureAdmin(cfg *config.Config) {
	cfg.HTTP.Listeners[0].Resources = append(cfg.HTTP.Listeners[0].Resources, config.Resource{Name: config.ResourceAdminAPI})
	cfg.Clients = append(cfg.Clients, config.ClientConfig{
		ClientID: adminClientID, ClientAuthMethod: config.AuthClientSecretPost, ClientSecret: adminClientSecret,
	})
	cfg.Policy.Data = map[string]any{"admin_clients": []any{adminClientID}}
}

// clientCredentialsToken gets an access token for the admin client.
func clientCredentialsToken(t *testing.T, e *testenv.Env, scope string) string {
	t.Helper()
	resp, err := http.PostForm(e.URL("/oauth2/token"), url.Values{
		"grant_type": {"client_credentials"}, "scope": {scope},
		"client_id": {adminClientID}, "client_secret": {adminClientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		t.Fatalf("token for %q: status %d, %v", scope, resp.StatusCode, err)
	}
	return body.AccessToken
}

type adminPage struct {
	Meta *struct {
		Count int `json:"count"`
	} `json:"meta"`
	Data []struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			Username      string  `json:"username"`
			LockedAt      *string `json:"locked_at"`
			DeactivatedAt *string `json:"deactivated_at"`
			Admin         bool    `json:"admin"`
			LegacyGuest   bool    `json:"legacy_guest"`
		} `json:"attributes"`
		Links struct {
			Self string `json:"self"`
		} `json:"links"`
		Meta struct {
			Page struct {
				Cursor string `json:"cursor"`
			} `json:"page"`
		} `json:"meta"`
	} `json:"data"`
	Links struct {
		Self, First, Last, Next, Prev string
	} `json:"links"`
	Errors []struct {
		Title string `json:"title"`
	} `json:"errors"`
}

// adminGet calls the Admin API with a token ("" for none).
func adminGet(t *testing.T, e *testenv.Env, token, path string) (int, adminPage) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p adminPage
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("GET %s: %d, not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, p
}

type adminSingleResponse struct {
	Data struct {
		Type       string `json:"type"`
		Attributes struct {
			Username string `json:"username"`
		} `json:"attributes"`
		Links struct {
			Self string `json:"self"`
		} `json:"links"`
	} `json:"data"`
	Links struct {
		Self string `json:"self"`
	} `json:"links"`
}

// adminSingle reads one resource, which must answer 200.
func adminSingle(t *testing.T, e *testenv.Env, token, path string) adminSingleResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out adminSingleResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return out
}

func (p adminPage) names() []string {
	var out []string
	for _, d := range p.Data {
		out = append(out, d.Attributes.Username)
	}
	return out
}

// TestAdminAPIUsers: an admin client walks GET /users forwards and
// backwards over 25 users, uses each filter and reads single users; bad
// tokens and parameters get upstream's statuses and error bodies.
func TestAdminAPIUsers(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		ctx := context.Background()
		users := e.App.Store.Users()
		var all []*domain.User
		for i := range 25 {
			u, err := users.Add(ctx, fmt.Sprintf("user%02d", i))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, u)
		}
		slices.SortFunc(all, func(a, b *domain.User) int { return a.ID.Compare(b.ID) })
		wantNames := func(us []*domain.User) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.Username)
			}
			return out
		}
		now := time.Now().UTC()
		all[3].CanRequestAdmin = true
		all[5].Lock(now)
		if err := all[7].Deactivate(now); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*domain.User{all[3], all[5], all[7]} {
			if err := users.Update(ctx, u); err != nil {
				t.Fatal(err)
			}
		}

		// Authorization.
		if status, p := adminGet(t, e, "", "/api/admin/v1/users"); status != http.StatusUnauthorized || len(p.Errors) != 1 || p.Errors[0].Title == "" {
			t.Fatalf("no token: %d %+v", status, p.Errors)
		}
		if status, _ := adminGet(t, e, "mat_notarealtoken", "/api/admin/v1/users"); status != http.StatusUnauthorized {
			t.Fatalf("junk token: %d", status)
		}
		if status, p := adminGet(t, e, clientCredentialsToken(t, e, "openid"), "/api/admin/v1/users"); status != http.StatusForbidden || len(p.Errors) != 1 {
			t.Fatalf("token without urn:mas:admin: %d %+v", status, p.Errors)
		}
		token := clientCredentialsToken(t, e, "urn:mas:admin")
		get := func(path string, wantStatus int) adminPage {
			t.Helper()
			status, p := adminGet(t, e, token, path)
			if status != wantStatus {
				t.Fatalf("GET %s: %d %+v, want %d", path, status, p.Errors, wantStatus)
			}
			return p
		}

		// Forwards by the next links, then backwards by the prev links.
		var walked []string
		p := get("/api/admin/v1/users?page[first]=10", http.StatusOK)
		for pages := 1; ; pages++ {
			if p.Meta == nil || p.Meta.Count != 25 {
				t.Fatalf("meta = %+v, want count 25", p.Meta)
			}
			walked = append(walked, p.names()...)
			if p.Links.Next == "" {
				if pages != 3 {
					t.Fatalf("%d pages forwards, want 3", pages)
				}
				break
			}
			p = get(p.Links.Next, http.StatusOK)
		}
		if !slices.Equal(walked, wantNames(all)) {
			t.Fatalf("forwards: %v\nwant %v", walked, wantNames(all))
		}
		walked = nil
		p = get("/api/admin/v1/users?page[last]=10", http.StatusOK)
		for {
			walked = append(p.names(), walked...)
			if p.Links.Prev == "" {
				break
			}
			p = get(p.Links.Prev, http.StatusOK)
		}
		if !slices.Equal(walked, wantNames(all)) {
			t.Fatalf("backwards: %v\nwant %v", walked, wantNames(all))
		}
		// Explicit cursors, the default size and the resource shape.
		p = get("/api/admin/v1/users?page[after]="+all[9].ID.String(), http.StatusOK)
		if !slices.Equal(p.names(), wantNames(all[10:20])) {
			t.Errorf("page[after]: %v", p.names())
		}
		p = get("/api/admin/v1/users?page[before]="+all[20].ID.String()+"&page[last]=5", http.StatusOK)
		if !slices.Equal(p.names(), wantNames(all[15:20])) {
			t.Errorf("page[before]+page[last]: %v", p.names())
		}
		d := p.Data[0]
		if d.Type != "user" || d.ID != all[15].ID.String() || d.Meta.Page.Cursor != d.ID || d.Links.Self != "/api/admin/v1/users/"+d.ID {
			t.Errorf("resource = %+v", d)
		}

		// Filters.
		for _, c := range []struct {
			query string
			want  []*domain.User
		}{
			{"filter[admin]=true", []*domain.User{all[3]}},
			{"filter[status]=locked", []*domain.User{all[5], all[7]}},
			{"filter[status]=deactivated", []*domain.User{all[7]}},
			{"filter[legacy-guest]=true", nil},
			{"filter[search]=user1&page[first]=20", all[10:20]},
		} {
			p := get("/api/admin/v1/users?"+c.query, http.StatusOK)
			if got := p.names(); !slices.Equal(got, wantNames(c.want)) || p.Meta.Count != len(c.want) {
				t.Errorf("%s: %v (count %d), want %v", c.query, got, p.Meta.Count, wantNames(c.want))
			}
		}
		if p := get("/api/admin/v1/users?filter[status]=active&page[first]=30", http.StatusOK); len(p.Data) != 23 {
			t.Errorf("active: %d users, want 23", len(p.Data))
		}
		if p := get("/api/admin/v1/users?filter[admin]=false&page[first]=5", http.StatusOK); !strings.Contains(p.Links.Next, "filter[admin]=false") {
			t.Errorf("next link %q drops the filter", p.Links.Next)
		}
		if p := get("/api/admin/v1/users?count=only", http.StatusOK); p.Meta.Count != 25 || p.Data != nil {
			t.Errorf("count=only: %+v", p)
		}
		if p := get("/api/admin/v1/users?count=false", http.StatusOK); p.Meta != nil || len(p.Data) != 10 {
			t.Errorf("count=false: meta %+v, %d users", p.Meta, len(p.Data))
		}

		// Single users.
		for path, want := range map[string]string{
			"/api/admin/v1/users/" + all[3].ID.String(): "user03",
			"/api/admin/v1/users/by-username/user05":    "user05",
		} {
			single := adminSingle(t, e, token, path)
			if single.Data.Attributes.Username != want || single.Data.Type != "user" || single.Links.Self != single.Data.Links.Self {
				t.Errorf("GET %s = %+v", path, single)
			}
		}
		for _, path := range []string{"/api/admin/v1/users/by-username/nobody", "/api/admin/v1/users/" + domain.ZeroID.String()} {
			if status, _ := adminGet(t, e, token, path); status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, status)
			}
		}
		if status, _ := adminGet(t, e, token, "/api/admin/v1/users/not-an-id"); status != http.StatusBadRequest {
			t.Errorf("GET with a bad ID: %d, want 400", status)
		}

		// Bad input.
		for _, q := range []string{"page[first]=2&page[last]=2", "page[after]=nope", "page[first]=0", "filter[nope]=1", "filter[status]=odd", "count=maybe"} {
			if p := get("/api/admin/v1/users?"+q, http.StatusBadRequest); len(p.Errors) != 1 || p.Errors[0].Title == "" {
				t.Errorf("%s: errors %+v", q, p.Errors)
			}
		}
	})
}

// TestAdminAPIUserTokens: an administrator's own token from the
// authorization-code flow works on the Admin API, whether the admin flag
// or policy.data.admin_users makes the user an administrator; it stops
// (401) while the user is locked and (403) once the flag is taken away;
// a user who is neither cannot obtain the scope at all.
func TestAdminAPIUserTokens(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
			configureAdmin(cfg)
			cfg.Policy.Data = map[string]any{"admin_clients": []any{adminClientID}, "admin_users": []any{"listed"}}
		}})
		ctx := context.Background()
		flagged := e.CreateUser("flagged", "a passphrase for flagged")
		e.CreateUser("listed", "a passphrase for listed")
		e.CreateUser("plain", "a passphrase for plain")
		setUser := func(change func(u *domain.User)) {
			t.Helper()
			u, err := e.App.Store.Users().Lookup(ctx, flagged.ID)
			if err != nil {
				t.Fatal(err)
			}
			change(u)
			if err := e.App.Store.Users().Update(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		setUser(func(u *domain.User) { u.CanRequestAdmin = true })

		flaggedTok, _ := codeFlow(t, e, "flagged", "a passphrase for flagged", "openid", "urn:mas:admin")
		listedTok, _ := codeFlow(t, e, "listed", "a passphrase for listed", "openid", "urn:mas:admin")
		for name, tok := range map[string]string{"flagged": flaggedTok.AccessToken, "listed": listedTok.AccessToken} {
			if got := adminCall(t, e, tok, http.MethodGet, "/api/admin/v1/users", nil); got.Status != http.StatusOK || got.Meta.Count != 3 {
				t.Fatalf("%s's token: %d %v", name, got.Status, got.Raw)
			}
		}

		setUser(func(u *domain.User) { u.Lock(time.Now()) })
		adminCall(t, e, flaggedTok.AccessToken, http.MethodGet, "/api/admin/v1/users", nil).expect(t, http.StatusUnauthorized, "User is locked or deactivated")
		setUser(func(u *domain.User) { u.Unlock() })
		adminCall(t, e, flaggedTok.AccessToken, http.MethodGet, "/api/admin/v1/users", nil).expect(t, http.StatusOK)
		setUser(func(u *domain.User) { u.CanRequestAdmin = false })
		adminCall(t, e, flaggedTok.AccessToken, http.MethodGet, "/api/admin/v1/users", nil).expect(t, http.StatusForbidden, "User is not allowed to use the admin API")

		if status := scopeConsentStatus(t, e, "plain", "a passphrase for plain", "openid", "urn:mas:admin"); status != http.StatusForbidden {
			t.Fatalf("urn:mas:admin for a plain user: consent answered %d, want 403", status)
		}
	})
}
