package policy

import (
	"slices"
	"testing"
)

func TestAuthorizationGrantScopes(t *testing.T) {
	john := &User{ID: "01USER", Username: "john"}
	admin := &User{ID: "01ADMIN", Username: "john", CanRequestAdmin: true}
	const (
		code   = GrantTypeAuthorizationCode
		device = GrantTypeDeviceCode
		creds  = GrantTypeClientCredentials
	)
	const (
		api        = "urn:matrix:client:api:*"
		apiU       = "urn:matrix:org.matrix.msc2967.client:api:*"
		dev        = "urn:matrix:client:device:"
		devU       = "urn:matrix:org.matrix.msc2967.client:device:"
		notAllowed = " not allowed"
	)
	tests := []struct {
		name  string
		data  string
		user  *User
		grant string
		scope string
		want  []string
	}{
		{"empty scope", "", john, code, "", nil},
		{"openid", "", john, code, "openid", nil},
		{"email", "", john, code, "email", nil},
		{"openid email", "", john, code, "openid email", nil},
		{"double space", "", john, code, "openid  email", nil},
		{"standard scopes without grant type", "", john, "", "openid email", nil},
		{"phone unsupported", "", john, code, "phone", []string{"scope 'phone' not allowed"}},
		{"profile unsupported", "", john, code, "profile", []string{"scope 'profile' not allowed"}},
		{"unknown scope reported once", "", john, code, "openid foo foo", []string{"scope 'foo' not allowed"}},
		{"two unknown scopes", "", john, code, "foo bar", []string{"scope 'foo' not allowed", "scope 'bar' not allowed"}},

		{"stable api, auth code", "", john, code, api, nil},
		{"stable api, device code", "", john, device, api, nil},
		{"stable api, client credentials", "", nil, creds, api, []string{"scope '" + api + "'" + notAllowed}},
		{"stable api, token exchange", "{'token_exchange_clients': ['client']}", john, GrantTypeTokenExchange, api, []string{"scope '" + api + "'" + notAllowed}},
		{"unstable api, auth code", "", john, code, apiU, nil},
		{"unstable api, device code", "", john, device, apiU, nil},
		{"unstable api, client credentials", "", nil, creds, apiU, []string{"scope '" + apiU + "'" + notAllowed}},
		{"other api scope is not allowed", "", john, code, "urn:matrix:client:api:foo", []string{"scope 'urn:matrix:client:api:foo' not allowed"}},

		{"stable device", "", john, code, api + " " + dev + "AAbbCCdd01", nil},
		{"stable device, all symbols", "", john, code, api + " " + dev + "AAbbCCdd01-._~!$&'()*+,;=:@/", nil},
		{"stable device, long", "", john, code, api + " " + dev + "AAbbCCdd01-asdasdsa1-2313", nil},
		{"stable device, device code grant", "", john, device, api + " " + dev + "AAbbCCdd01", nil},
		{"stable device, too short", "", john, code, api + " " + dev + "abcd", []string{"scope '" + dev + "abcd'" + notAllowed}},
		{"stable device, nine characters", "", john, code, api + " " + dev + "abcdefghi", []string{"scope '" + dev + "abcdefghi'" + notAllowed}},
		{"stable device, bad character", "", john, code, api + " " + dev + "abcdefghij#", []string{"scope '" + dev + "abcdefghij#'" + notAllowed}},
		{"stable device, non-ASCII", "", john, code, api + " " + dev + "abcdefghijé", []string{"scope '" + dev + "abcdefghijé'" + notAllowed}},
		{"stable device, two devices", "", john, code, api + " " + dev + "AAbbCCdd01 " + dev + "AAbbCCdd02", []string{msgOneDeviceScope}},
		{"stable device, same device twice", "", john, code, api + " " + dev + "AAbbCCdd01 " + dev + "AAbbCCdd01", nil},
		{"stable device, client credentials", "", nil, creds, api + " " + dev + "AAbbCCdd01", []string{
			"scope '" + api + "'" + notAllowed, "scope '" + dev + "AAbbCCdd01'" + notAllowed,
		}},
		{"stable device without api scope", "", john, code, dev + "AAbbCCdd01", []string{msgDeviceNeedsAPI}},

		{"unstable device", "", john, code, apiU + " " + devU + "AAbbCCdd01", nil},
		{"unstable device, device code grant", "", john, device, apiU + " " + devU + "AAbbCCdd01", nil},
		{"unstable device, too short", "", john, code, apiU + " " + devU + "abcd", []string{"scope '" + devU + "abcd'" + notAllowed}},
		{"unstable device, two devices", "", john, code, apiU + " " + devU + "AAbbCCdd01 " + devU + "AAbbCCdd02", []string{msgOneDeviceScope}},
		{"unstable device, client credentials", "", nil, creds, apiU + " " + devU + "AAbbCCdd01", []string{
			"scope '" + apiU + "'" + notAllowed, "scope '" + devU + "AAbbCCdd01'" + notAllowed,
		}},
		{"unstable device without api scope", "", john, code, devU + "AAbbCCdd01", []string{msgDeviceNeedsAPI}},
		{"invalid device scope still needs the api scope", "", john, code, dev + "x", []string{"scope '" + dev + "x'" + notAllowed, msgDeviceNeedsAPI}},

		{"mix unstable api and stable device", "", john, code, apiU + " " + dev + "AAbbCCdd01", []string{msgMixedScopes}},
		{"mix stable api and unstable device", "", john, code, api + " " + devU + "AAbbCCdd01", []string{msgMixedScopes}},
		{"mix both api scopes", "", john, code, api + " " + apiU, []string{msgMixedScopes}},
		{"one device of each kind", "", john, code, api + " " + dev + "AAbbCCdd01 " + devU + "AAbbCCdd02", []string{msgMixedScopes}},

		{"synapse admin via admin_users", "{'admin_users': ['john']}", john, code, "urn:synapse:admin:*", nil},
		{"synapse admin via admin_users, device code", "{'admin_users': ['john']}", john, device, "urn:synapse:admin:*", nil},
		{"synapse admin, empty admin_users", "{'admin_users': []}", john, code, "urn:synapse:admin:*", []string{"scope 'urn:synapse:admin:*' not allowed"}},
		{"synapse admin via can_request_admin", "{'admin_users': []}", admin, code, "urn:synapse:admin:*", nil},
		{"synapse admin via can_request_admin, device code", "", admin, device, "urn:synapse:admin:*", nil},
		{"synapse admin, no right", "", john, device, "urn:synapse:admin:*", []string{"scope 'urn:synapse:admin:*' not allowed"}},
		{"synapse admin, client credentials", "{'admin_users': ['john'], 'admin_clients': ['client']}", nil, creds, "urn:synapse:admin:*", []string{"scope 'urn:synapse:admin:*' not allowed"}},
		{"synapse admin, admin user with client credentials", "", admin, creds, "urn:synapse:admin:*", []string{"scope 'urn:synapse:admin:*' not allowed"}},

		{"graphql", "", john, code, "urn:mas:graphql:*", nil},
		{"graphql, no user", "", nil, creds, "urn:mas:graphql:*", nil},
		{"mas admin via admin_users", "{'admin_users': ['john']}", john, code, "urn:mas:admin", nil},
		{"mas admin via can_request_admin", "", admin, device, "urn:mas:admin", nil},
		{"mas admin, not an admin", "{'admin_users': []}", john, code, "urn:mas:admin", []string{"scope 'urn:mas:admin' not allowed"}},
		{"mas admin, admin client", "{'admin_clients': ['client']}", nil, creds, "urn:mas:admin", nil},
		{"mas admin, other client", "{'admin_clients': ['other']}", nil, creds, "urn:mas:admin", []string{"scope 'urn:mas:admin' not allowed"}},
		{"mas admin, admin client but interactive grant", "{'admin_clients': ['client']}", john, code, "urn:mas:admin", []string{"scope 'urn:mas:admin' not allowed"}},
		{"mas admin, admin user with client credentials", "{'admin_users': ['john']}", john, creds, "urn:mas:admin", []string{"scope 'urn:mas:admin' not allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine(t, tt.data)
			vs := e.AuthorizationGrant(AuthorizationGrantInput{
				User:      tt.user,
				Client:    Client{ID: "client"},
				Scope:     tt.scope,
				GrantType: tt.grant,
			})
			wantMsgs(t, vs, tt.want...)
		})
	}
}

func TestAuthorizationGrantTokenExchange(t *testing.T) {
	tests := []struct {
		data, client, grant string
		denied              bool
	}{
		{"", "client", GrantTypeTokenExchange, true},
		{"{'token_exchange_clients': []}", "client", GrantTypeTokenExchange, true},
		{"{'token_exchange_clients': ['other']}", "client", GrantTypeTokenExchange, true},
		{"{'token_exchange_clients': ['other', 'client']}", "client", GrantTypeTokenExchange, false},
		{"", "client", GrantTypeClientCredentials, false},
	}
	for _, tt := range tests {
		vs := engine(t, tt.data).AuthorizationGrant(AuthorizationGrantInput{
			Client: Client{ID: tt.client}, Scope: "openid", GrantType: tt.grant,
		})
		denied := slices.Contains(msgs(vs), msgTokenExchangeDenied)
		if denied != tt.denied || len(vs) > 1 {
			t.Errorf("%s %s with %s: %+v, want denied=%v", tt.client, tt.grant, tt.data, vs, tt.denied)
		}
	}
}

func TestAuthorizationGrantSessionLimit(t *testing.T) {
	const limits = "{'session_limit': {'soft_limit': 32, 'hard_limit': 64}}"
	const threshold = "{'session_limit': {'soft_limit': 32, 'hard_limit': 64, 'max_session_threshold': 64}}"
	tests := []struct {
		name         string
		data         string
		counts       *SessionCounts
		needToRemove int // 0: allowed
	}{
		{"under the limit", limits, &SessionCounts{Total: 1}, 0},
		{"just under the soft limit", limits, &SessionCounts{Total: 31}, 0},
		{"at the soft limit", limits, &SessionCounts{Total: 32}, 1},
		{"over the soft limit", limits, &SessionCounts{Total: 42}, 11},
		// The grant is interactive: only the soft limit counts.
		{"over the hard limit", limits, &SessionCounts{Total: 65}, 34},
		{"no limit", "{'session_limit': null}", &SessionCounts{Total: 1000}, 0},
		{"no limit key", "", &SessionCounts{Total: 1000}, 0},
		{"no session counts", limits, nil, 0},
		{"limit without soft_limit", "{'session_limit': {'hard_limit': 1}}", &SessionCounts{Total: 1000}, 0},
		{"under max_session_threshold", threshold, &SessionCounts{Total: 42}, 11},
		{"at max_session_threshold", threshold, &SessionCounts{Total: 64}, 33},
		{"past max_session_threshold", threshold, &SessionCounts{Total: 128}, 0},
		{"null max_session_threshold", "{'session_limit': {'soft_limit': 32, 'max_session_threshold': null}}", &SessionCounts{Total: 128}, 97},
		{"only total counts", limits, &SessionCounts{Total: 2, OAuth2: 100, Compat: 100, Personal: 100}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := engine(t, tt.data).AuthorizationGrant(AuthorizationGrantInput{
				User:          &User{Username: "john"},
				Client:        Client{ID: "client"},
				Scope:         "openid",
				GrantType:     GrantTypeAuthorizationCode,
				SessionCounts: tt.counts,
			})
			if tt.needToRemove == 0 {
				wantMsgs(t, vs)
				return
			}
			want := []Violation{{Msg: "user has too many active sessions", Code: CodeTooManySessions, NeedToRemove: tt.needToRemove}}
			if !slices.Equal(vs, want) {
				t.Errorf("violations = %+v, want %+v", vs, want)
			}
		})
	}
}

func TestAuthorizationGrantRequester(t *testing.T) {
	e := engine(t, "{'requester': {'banned_ips': ['10.0.0.0/8']}}")
	vs := e.AuthorizationGrant(AuthorizationGrantInput{
		User: &User{Username: "john"}, Scope: "openid", GrantType: GrantTypeAuthorizationCode,
		Requester: Requester{IPAddress: addr("10.1.2.3"), UserAgent: "curl/8"},
	})
	wantMsgs(t, vs, "Requester [10.1.2.3 / curl/8] isn't allowed to do this action")
}

func TestAuthorizationGrantCombined(t *testing.T) {
	// Every rule reports independently, in rule order.
	e := engine(t, "{'session_limit': {'soft_limit': 1, 'hard_limit': 2}, 'requester': {'banned_user_agents': {'literals': ['bot']}}}")
	vs := e.AuthorizationGrant(AuthorizationGrantInput{
		User:          &User{Username: "john"},
		Scope:         "phone urn:matrix:client:device:AAAAAAAAAA urn:matrix:client:device:BBBBBBBBBB urn:matrix:org.matrix.msc2967.client:api:*",
		GrantType:     GrantTypeAuthorizationCode,
		SessionCounts: &SessionCounts{Total: 3},
		Requester:     Requester{UserAgent: "bot"},
	})
	wantMsgs(t, vs,
		"scope 'phone' not allowed",
		msgOneDeviceScope,
		msgMixedScopes,
		"Requester [bot] isn't allowed to do this action",
		"user has too many active sessions",
	)
}
