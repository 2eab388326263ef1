package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"mas/internal/config"
	"mas/internal/testenv"
)

// Providers of the upstream link tests, synced from the configuration at
// start: an enabled one requiring registration tokens and a disabled one.
const (
	adminProviderOn  = "01JADM1NPR0V1DER0N00000000"
	adminProviderOff = "01JADM1NPR0V1DER0FF0000000"
	unknownID        = "01JADM1NZZZZZZZZZZZZZZZZZZ"
)

func upstreamAdminEnv(t *testing.T, postgres bool) *testenv.Env {
	return testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
		configureAdmin(cfg)
		provider := func(id, name string, enabled bool) config.UpstreamProvider {
			return config.UpstreamProvider{
				Enabled: enabled, ID: id, Issuer: "https://" + name + ".example.com/", HumanName: name, BrandName: "github",
				ClientID: "mas", TokenEndpointAuthMethod: config.TokenAuthNone, Scope: "openid",
				DiscoveryMode:         config.DiscoveryDisabled,
				AuthorizationEndpoint: "https://" + name + ".example.com/authorize",
				TokenEndpoint:         "https://" + name + ".example.com/token",
				JWKSURI:               "https://" + name + ".example.com/jwks",
			}
		}
		on := provider(adminProviderOn, "On", true)
		on.RegistrationTokenRequired = true
		cfg.UpstreamOAuth2.Providers = []config.UpstreamProvider{on, provider(adminProviderOff, "Off", false)}
	}})
}

func TestAdminAPIUpstreamProviders(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := upstreamAdminEnv(t, postgres)
		token := clientCredentialsToken(t, e, "urn:mas:admin")
		const base = "/api/admin/v1/upstream-oauth-providers"

		all := adminCall(t, e, token, "GET", base, nil).expect(t, http.StatusOK)
		if all.Meta == nil || all.Meta.Count != 2 || len(all.List) != 2 {
			t.Fatalf("all providers: %+v", all.Raw)
		}
		on := adminCall(t, e, token, "GET", base+"?filter[enabled]=true", nil).expect(t, http.StatusOK)
		if len(on.List) != 1 || on.List[0].ID != adminProviderOn {
			t.Fatalf("enabled: %+v", on.Raw)
		}
		off := adminCall(t, e, token, "GET", base+"?filter[enabled]=false", nil).expect(t, http.StatusOK)
		if len(off.List) != 1 || off.List[0].ID != adminProviderOff || off.List[0].Attributes["disabled_at"] == nil {
			t.Fatalf("disabled: %+v", off.Raw)
		}

		got := adminCall(t, e, token, "GET", base+"/"+adminProviderOn, nil).expect(t, http.StatusOK)
		a := got.Data.Attributes
		if got.Data.Type != "upstream-oauth-provider" || a["issuer"] != "https://On.example.com/" || a["human_name"] != "On" ||
			a["brand_name"] != "github" || a["disabled_at"] != nil || a["registration_token_required"] != true || a["created_at"] == nil {
			t.Errorf("provider: %+v", got.Raw)
		}
		if got.Data.Links.Self != base+"/"+adminProviderOn {
			t.Errorf("self link %q", got.Data.Links.Self)
		}

		adminCall(t, e, token, "GET", base+"/"+unknownID, nil).
			expect(t, http.StatusNotFound, "Upstream OAuth 2.0 Provider ID "+unknownID+" not found")
		adminCall(t, e, token, "GET", base+"/not-an-id", nil).expect(t, http.StatusBadRequest)
		adminCall(t, e, token, "GET", base+"?filter[enabled]=maybe", nil).expect(t, http.StatusBadRequest)
		adminCall(t, e, token, "GET", base+"?filter[issuer]=x", nil).expect(t, http.StatusBadRequest)
		adminCall(t, e, "", "GET", base, nil).expect(t, http.StatusUnauthorized)
	})
}

func TestAdminAPIUpstreamLinks(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := upstreamAdminEnv(t, postgres)
		token := clientCredentialsToken(t, e, "urn:mas:admin")
		ctx := context.Background()
		alice, err := e.App.Store.Users().Add(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		bob, err := e.App.Store.Users().Add(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		const base = "/api/admin/v1/upstream-oauth-links"
		add := func(user, provider, subject string, name any) apiAnswer {
			body := map[string]any{"user_id": user, "provider_id": provider, "subject": subject}
			if name != nil {
				body["human_account_name"] = name
			}
			return adminCall(t, e, token, "POST", base, body)
		}

		created := add(alice.ID.String(), adminProviderOn, "alice-sub", "Alice@IdP").expect(t, http.StatusCreated)
		linkID := created.Data.ID
		a := created.Data.Attributes
		if created.Data.Type != "upstream-oauth-link" || a["user_id"] != alice.ID.String() || a["provider_id"] != adminProviderOn ||
			a["subject"] != "alice-sub" || a["human_account_name"] != "Alice@IdP" || a["created_at"] == nil {
			t.Fatalf("created: %+v", created.Raw)
		}
		if created.Data.Links.Self != base+"/"+linkID {
			t.Errorf("self link %q", created.Data.Links.Self)
		}
		// The same link again is no change; the subject for another user
		// is a conflict.
		again := add(alice.ID.String(), adminProviderOn, "alice-sub", nil).expect(t, http.StatusOK)
		if again.Data.ID != linkID {
			t.Errorf("again: %s, want %s", again.Data.ID, linkID)
		}
		add(bob.ID.String(), adminProviderOn, "alice-sub", nil).expect(t, http.StatusConflict,
			"Upstream Oauth 2.0 Provider ID "+adminProviderOn+" with subject alice-sub is already linked to a user")
		// A link left without a user (an abandoned upstream login) is given
		// to the user with 200.
		orphan, err := e.App.Store.UpstreamLinks().Add(ctx, mustID(t, adminProviderOff), "orphan-sub", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		given := add(bob.ID.String(), adminProviderOff, "orphan-sub", nil).expect(t, http.StatusOK)
		if given.Data.ID != orphan.ID.String() || given.Data.Attributes["user_id"] != bob.ID.String() ||
			given.Data.Attributes["human_account_name"] != nil {
			t.Errorf("associated: %+v", given.Raw)
		}

		// Bad input changes nothing.
		add(unknownID, adminProviderOn, "x", nil).expect(t, http.StatusNotFound, "User ID "+unknownID+" not found")
		add(alice.ID.String(), unknownID, "x", nil).expect(t, http.StatusNotFound, "Upstream OAuth 2.0 Provider ID "+unknownID+" not found")
		adminCall(t, e, token, "POST", base, `{"user_id": `).expect(t, http.StatusBadRequest)
		adminCall(t, e, token, "POST", base, `{"user_id": "nope", "provider_id": "`+adminProviderOn+`", "subject": "x"}`).expect(t, http.StatusBadRequest)
		adminCall(t, e, token, "POST", base, map[string]any{"user_id": alice.ID.String(), "provider_id": adminProviderOn}).
			expect(t, http.StatusBadRequest, "Invalid JSON body: missing field `subject`")

		list := func(query string) []string {
			t.Helper()
			ans := adminCall(t, e, token, "GET", base+query, nil).expect(t, http.StatusOK)
			if ans.Meta == nil || ans.Meta.Count != len(ans.List) {
				t.Fatalf("%s: meta %+v for %d", query, ans.Meta, len(ans.List))
			}
			var ids []string
			for _, r := range ans.List {
				ids = append(ids, r.ID)
			}
			return ids
		}
		for query, want := range map[string][]string{
			"?filter[user]=" + alice.ID.String():                                        {linkID},
			"?filter[provider]=" + adminProviderOff:                                     {orphan.ID.String()},
			"?filter[subject]=orphan-sub":                                               {orphan.ID.String()},
			"?filter[human-account-name]=alice%40":                                      {linkID},
			"?filter[subject]=nobody":                                                   nil,
			"?filter[user]=" + bob.ID.String() + "&filter[provider]=" + adminProviderOn: nil,
		} {
			if got := list(query); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
		}
		if n := len(list("")); n != 2 {
			t.Errorf("all links: %d, want 2", n)
		}
		adminCall(t, e, token, "GET", base+"?filter[user]="+unknownID, nil).expect(t, http.StatusNotFound, "User ID "+unknownID+" not found")
		adminCall(t, e, token, "GET", base+"?filter[provider]="+unknownID, nil).
			expect(t, http.StatusNotFound, "Upstream OAuth 2.0 Provider ID "+unknownID+" not found")
		adminCall(t, e, token, "GET", base+"?filter[user]=nope", nil).expect(t, http.StatusBadRequest)
		adminCall(t, e, token, "GET", base+"?filter[colour]=red", nil).expect(t, http.StatusBadRequest)

		got := adminCall(t, e, token, "GET", base+"/"+linkID, nil).expect(t, http.StatusOK)
		if got.Data.ID != linkID || got.Data.Attributes["subject"] != "alice-sub" {
			t.Errorf("get: %+v", got.Raw)
		}
		adminCall(t, e, token, "GET", base+"/"+unknownID, nil).
			expect(t, http.StatusNotFound, "Upstream OAuth 2.0 Link ID "+unknownID+" not found")
		adminCall(t, e, token, "DELETE", base+"/"+linkID, nil).expect(t, http.StatusNoContent)
		adminCall(t, e, token, "GET", base+"/"+linkID, nil).expect(t, http.StatusNotFound)
		adminCall(t, e, token, "DELETE", base+"/"+linkID, nil).
			expect(t, http.StatusNotFound, "Upstream OAuth 2.0 Link ID "+linkID+" not found")
		adminCall(t, e, token, "DELETE", base+"/not-an-id", nil).expect(t, http.StatusBadRequest)
		if links, err := e.App.Store.UpstreamLinks().ListForUser(ctx, alice.ID); err != nil || len(links) != 0 {
			t.Errorf("alice's links after delete: %v %v", links, err)
		}
	})
}
