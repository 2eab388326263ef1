package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"mas/internal/domain"
)

// TestAdminAPIOAuth2Clients: GET /oauth2-clients with each filter, and
// single clients with upstream's attributes and 404 title.
func TestAdminAPIOAuth2Clients(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		ctx := context.Background()
		token := clientCredentialsToken(t, e, "urn:mas:admin") // the admin client now has an active session
		web := &domain.Client{ClientName: "Element Web", ClientURI: "https://app.element.io/", LogoURI: "https://app.element.io/logo.png",
			RedirectURIs: []string{"https://app.element.io/cb"}, GrantAuthorizationCode: true, GrantRefreshToken: true}
		tv := &domain.Client{ClientName: "TV app", GrantDeviceCode: true}
		for _, c := range []*domain.Client{web, tv} {
			if err := e.App.Store.Clients().Add(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.App.Store.Sessions().Add(ctx, &domain.Session{ClientID: tv.ID, Scope: []string{"openid"}}); err != nil {
			t.Fatal(err)
		}
		ids := func(a apiAnswer) []string {
			var out []string
			for _, r := range a.List {
				if r.Type != "oauth2-client" || r.Links.Self != "/api/admin/v1/oauth2-clients/"+r.ID || r.Meta == nil || r.Meta.Page.Cursor != r.ID {
					t.Errorf("resource %+v", r)
				}
				out = append(out, r.ID)
			}
			slices.Sort(out)
			return out
		}
		sorted := func(s ...string) []string { slices.Sort(s); return s }
		list := func(query string) apiAnswer {
			t.Helper()
			return adminCall(t, e, token, "GET", "/api/admin/v1/oauth2-clients?"+query, nil).expect(t, http.StatusOK)
		}
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"filter[client-kind]=dynamic", sorted(web.ID.String(), tv.ID.String())},
			{"filter[client-kind]=static", []string{adminClientID}},
			{"filter[client-name]=element%20WEB", []string{web.ID.String()}},
			{"filter[client-uri]=APP.element", []string{web.ID.String()}},
			// Static clients hold every grant.
			{"filter[grant-type]=urn:ietf:params:oauth:grant-type:device_code", sorted(adminClientID, tv.ID.String())},
			{"filter[grant-type]=refresh_token&filter[client-kind]=dynamic", []string{web.ID.String()}},
			{"filter[grant-type]=password", nil},
			{"filter[has-active-sessions]=true", sorted(adminClientID, tv.ID.String())},
			{"filter[has-active-sessions]=false", []string{web.ID.String()}},
			{"filter[has-active-sessions]=true&filter[client-kind]=dynamic", []string{tv.ID.String()}},
		} {
			a := list(c.query)
			if got := ids(a); !slices.Equal(got, c.want) || a.Meta == nil || a.Meta.Count != len(c.want) {
				t.Errorf("%s: %v (meta %+v), want %v", c.query, got, a.Meta, c.want)
			}
		}
		if a := list("page[first]=1&filter[client-kind]=dynamic"); len(a.List) != 1 || a.Links.Next == "" {
			t.Errorf("first page: %+v", a)
		}

		// One client, with upstream's attributes; absent values are null.
		a := adminCall(t, e, token, "GET", "/api/admin/v1/oauth2-clients/"+web.ID.String(), nil).expect(t, http.StatusOK)
		attrs := a.Data.Attributes
		if a.Data.Type != "oauth2-client" || attrs["client_id"] != web.ID.String() || attrs["client_name"] != "Element Web" ||
			attrs["client_uri"] != "https://app.element.io/" || attrs["logo_uri"] != "https://app.element.io/logo.png" ||
			attrs["is_static"] != false || !slices.Equal(anyStrings(attrs["redirect_uris"]), web.RedirectURIs) ||
			!slices.Equal(anyStrings(attrs["grant_types"]), []string{"authorization_code", "refresh_token"}) {
			t.Errorf("client attributes %v", attrs)
		}
		a = adminCall(t, e, token, "GET", "/api/admin/v1/oauth2-clients/"+tv.ID.String(), nil).expect(t, http.StatusOK)
		if attrs := a.Data.Attributes; attrs["client_uri"] != nil || attrs["logo_uri"] != nil || len(anyStrings(attrs["redirect_uris"])) != 0 {
			t.Errorf("minimal client attributes %v", attrs)
		}

		// Bad input.
		adminCall(t, e, token, "GET", "/api/admin/v1/oauth2-clients/"+domain.ZeroID.String(), nil).
			expect(t, http.StatusNotFound, "OAuth 2.0 client ID 00000000000000000000000000 not found")
		adminCall(t, e, token, "GET", "/api/admin/v1/oauth2-clients/nope", nil).expect(t, http.StatusBadRequest)
		for _, q := range []string{"filter[client-kind]=odd", "filter[has-active-sessions]=maybe", "filter[client_kind]=static"} {
			adminCall(t, e, token, "GET", "/api/admin/v1/oauth2-clients?"+q, nil).expect(t, http.StatusBadRequest)
		}
	})
}

// anyStrings reads a JSON array of strings.
func anyStrings(v any) []string {
	l, _ := v.([]any)
	out := []string{}
	for _, s := range l {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}
