package routes

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPatternsMatchBuilders registers every pattern in one ServeMux (which
// also proves they are valid and do not conflict) and checks that each
// builder's output lands on its own pattern with the right wildcard value.
func TestPatternsMatchBuilders(t *testing.T) {
	patterns := []string{
		Health, Metrics, ConnectionInfo, OIDCDiscovery, OAuthDiscovery, WebFinger,
		OAuth2Keys, OAuth2UserInfo, OAuth2Introspection, OAuth2Revocation, OAuth2Token,
		OAuth2Registration, OAuth2DeviceAuthorization,
		IndexPattern, AccountRoot, Account, AccountPasswordChange, AccountPasswordRecovery,
		ChangePasswordDiscovery, Login, Logout, Register, RegisterPassword, Recover, Authorize, DeviceLink,
		ConsentPattern, CompleteCompatSSOPattern, DeviceConsentPattern,
		RegisterVerifyEmailPattern, RegisterTokenPattern, RegisterDisplayNamePattern, RegisterFinishPattern,
		RecoverProgressPattern, UpstreamAuthorizePattern, UpstreamCallbackPattern, UpstreamLinkPattern,
		UpstreamBackchannelLogoutPattern,
		AccountPattern, AccountDisplayName, AccountEmails, AccountSessions, AccountCrossSigningReset,
		AccountDeactivate, AccountPlan, AccountEmailVerifyPattern, AccountEmailRemovePattern,
		AccountSessionPattern, AccountSessionEndPattern,
		CompatLoginPattern, CompatLogoutPattern, CompatLogoutAllPattern, CompatRefreshPattern,
		CompatLoginSSORedirectPattern, CompatLoginSSORedirectSlashPattern, CompatLoginSSORedirectIDPPattern,
		GraphQL, GraphQLPlayground, AssetsPrefix, AdminAPIPrefix, AdminAPISpec, AdminAPIDoc, AdminAPIDocCallback,
	}
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}

	tests := []struct {
		path, pattern, param, value string
	}{
		{Consent("01HGRANT"), ConsentPattern, ParamGrantID, "01HGRANT"},
		{CompleteCompatSSO("g"), CompleteCompatSSOPattern, ParamGrantID, "g"},
		{DeviceConsent("d"), DeviceConsentPattern, ParamID, "d"},
		{RegisterVerifyEmail("r"), RegisterVerifyEmailPattern, ParamID, "r"},
		{RegisterToken("r"), RegisterTokenPattern, ParamID, "r"},
		{RegisterDisplayName("r"), RegisterDisplayNamePattern, ParamID, "r"},
		{RegisterFinish("r"), RegisterFinishPattern, ParamID, "r"},
		{RecoverProgress("s"), RecoverProgressPattern, ParamSessionID, "s"},
		{UpstreamAuthorize("p"), UpstreamAuthorizePattern, ParamProviderID, "p"},
		{UpstreamCallback("p"), UpstreamCallbackPattern, ParamProviderID, "p"},
		{UpstreamLink("l"), UpstreamLinkPattern, ParamLinkID, "l"},
		{UpstreamBackchannelLogout("p"), UpstreamBackchannelLogoutPattern, ParamProviderID, "p"},
		{Account, AccountPattern, "", ""},
		{AccountEmailVerify("e"), AccountEmailVerifyPattern, ParamID, "e"},
		{AccountEmailRemove("e"), AccountEmailRemovePattern, ParamID, "e"},
		{AccountSession("s"), AccountSessionPattern, ParamID, "s"},
		{AccountSessionEnd("s"), AccountSessionEndPattern, ParamID, "s"},
		{CompatLogin(), CompatLoginPattern, ParamVersion, CompatVersion},
		{"/_matrix/client/r0/login", CompatLoginPattern, ParamVersion, "r0"},
		{CompatLoginSSORedirect(), CompatLoginSSORedirectPattern, ParamVersion, CompatVersion},
		{CompatLoginSSORedirect() + "/", CompatLoginSSORedirectSlashPattern, ParamVersion, CompatVersion},
		{Consent("a/b"), ConsentPattern, ParamGrantID, "a/b"},
		{Asset("app.css"), AssetsPrefix, "", ""},
		{Index, IndexPattern, "", ""},
		{"/api/admin/v1/users", AdminAPIPrefix, "", ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		_, pattern := mux.Handler(req)
		if pattern != tt.pattern {
			t.Errorf("%s routed to %q, want %q", tt.path, pattern, tt.pattern)
			continue
		}
		if tt.param == "" {
			continue
		}
		// Handler does not fill path values; ServeHTTP does.
		var got string
		probe := http.NewServeMux()
		probe.HandleFunc(tt.pattern, func(_ http.ResponseWriter, r *http.Request) { got = r.PathValue(tt.param) })
		probe.ServeHTTP(httptest.NewRecorder(), req)
		if got != tt.value {
			t.Errorf("%s: %s = %q, want %q", tt.path, tt.param, got, tt.value)
		}
	}
}
