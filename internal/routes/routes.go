// Package routes spells every URL path the service answers on, so that
// handlers, templates, discovery documents and redirects cannot drift apart.
//
// Each route comes in up to three forms:
//
//   - a path constant (Login) for fixed paths, usable both as a ServeMux
//     pattern and as a link;
//   - a pattern constant (ConsentPattern) for paths with wildcards, meant for
//     http.ServeMux registration together with a Param* name for
//     r.PathValue;
//   - a builder function (Consent(id)) producing the concrete path.
//
// Paths here never carry the public base or a listener prefix: URLBuilder adds
// the former, the HTTP server strips the latter before handlers run.
package routes

import (
	"net/url"
	"strings"
)

// Wildcard names used in the patterns below, for r.PathValue.
const (
	ParamGrantID    = "grant_id"
	ParamID         = "id"
	ParamSessionID  = "session_id"
	ParamProviderID = "provider_id"
	ParamLinkID     = "link_id"
	ParamVersion    = "version"
)

// Operational routes (health, prometheus and connection-info resources).
const (
	Health         = "/health"
	Metrics        = "/metrics"
	ConnectionInfo = "/connection-info"
)

// Discovery resource.
const (
	OIDCDiscovery  = "/.well-known/openid-configuration"
	OAuthDiscovery = "/.well-known/oauth-authorization-server"
	WebFinger      = "/.well-known/webfinger"
)

// OAuth 2.0 API resource.
const (
	OAuth2Keys                = "/oauth2/keys.json"
	OAuth2UserInfo            = "/oauth2/userinfo"
	OAuth2Introspection       = "/oauth2/introspect"
	OAuth2Revocation          = "/oauth2/revoke"
	OAuth2Token               = "/oauth2/token"
	OAuth2Registration        = "/oauth2/registration"
	OAuth2DeviceAuthorization = "/oauth2/device"
)

// Human (HTML) resource: fixed paths.
const (
	// Index only matches "/" itself; as a pattern use IndexPattern, because
	// a bare "/" would swallow every unmatched path.
	Index        = "/"
	IndexPattern = "/{$}"

	// AccountRoot redirects to Account, the account management page
	// (discovery's account_management_uri); AccountPattern matches Account
	// alone, not the paths below it.
	AccountRoot             = "/account"
	Account                 = "/account/"
	AccountPattern          = "/account/{$}"
	AccountPasswordChange   = "/account/password/change"
	AccountPasswordRecovery = "/account/password/recovery"
	// The sections of the account pages.
	AccountDisplayName       = "/account/display-name"
	AccountEmails            = "/account/emails"
	AccountSessions          = "/account/sessions"
	AccountCrossSigningReset = "/account/reset-cross-signing"
	AccountDeactivate        = "/account/deactivate"
	AccountPlan              = "/account/plan"

	// ChangePasswordDiscovery is the well-known redirect to
	// AccountPasswordChange used by password managers.
	ChangePasswordDiscovery = "/.well-known/change-password"

	Login            = "/login"
	Logout           = "/logout"
	Register         = "/register"
	RegisterPassword = "/register/password"
	Recover          = "/recover"
	Authorize        = "/authorize"
	DeviceLink       = "/link"
)

// Human resource: parameterised paths.
const (
	ConsentPattern                   = "/consent/{grant_id}"
	CompleteCompatSSOPattern         = "/complete-compat-sso/{grant_id}"
	DeviceConsentPattern             = "/device/{id}"
	RegisterVerifyEmailPattern       = "/register/steps/{id}/verify-email"
	RegisterTokenPattern             = "/register/steps/{id}/token"
	RegisterDisplayNamePattern       = "/register/steps/{id}/display-name"
	RegisterFinishPattern            = "/register/steps/{id}/finish"
	RecoverProgressPattern           = "/recover/progress/{session_id}"
	AccountEmailVerifyPattern        = "/account/emails/{id}/verify"
	AccountEmailRemovePattern        = "/account/emails/{id}/remove"
	AccountSessionPattern            = "/account/sessions/{id}"
	AccountSessionEndPattern         = "/account/sessions/{id}/end"
	UpstreamAuthorizePattern         = "/upstream/authorize/{provider_id}"
	UpstreamCallbackPattern          = "/upstream/callback/{provider_id}"
	UpstreamLinkPattern              = "/upstream/link/{link_id}"
	UpstreamBackchannelLogoutPattern = "/upstream/backchannel-logout/{provider_id}"
)

// Consent is the consent screen of an authorization grant.
func Consent(grantID string) string { return "/consent/" + seg(grantID) }

// CompleteCompatSSO is the "continue to client" screen of a compat SSO login.
func CompleteCompatSSO(grantID string) string { return "/complete-compat-sso/" + seg(grantID) }

// DeviceConsent is the consent screen of a device code grant.
func DeviceConsent(id string) string { return "/device/" + seg(id) }

// RegisterVerifyEmail is the email code step of a registration.
func RegisterVerifyEmail(id string) string { return "/register/steps/" + seg(id) + "/verify-email" }

// RegisterToken is the registration token step of a registration.
func RegisterToken(id string) string { return "/register/steps/" + seg(id) + "/token" }

// RegisterDisplayName is the display name step of a registration.
func RegisterDisplayName(id string) string { return "/register/steps/" + seg(id) + "/display-name" }

// RegisterFinish creates the user once every registration step is done.
func RegisterFinish(id string) string { return "/register/steps/" + seg(id) + "/finish" }

// RecoverProgress is the "check your email" page of a recovery session.
func RecoverProgress(sessionID string) string { return "/recover/progress/" + seg(sessionID) }

// AccountEmailVerify asks for the code mailed to an address being added.
func AccountEmailVerify(authID string) string { return "/account/emails/" + seg(authID) + "/verify" }

// AccountEmailRemove confirms the removal of one of the user's addresses.
func AccountEmailRemove(emailID string) string { return "/account/emails/" + seg(emailID) + "/remove" }

// AccountSession shows one of the user's sessions.
func AccountSession(id string) string { return "/account/sessions/" + seg(id) }

// AccountSessionEnd ends one of the user's sessions.
func AccountSessionEnd(id string) string { return "/account/sessions/" + seg(id) + "/end" }

// UpstreamAuthorize starts a login with an upstream provider.
func UpstreamAuthorize(providerID string) string { return "/upstream/authorize/" + seg(providerID) }

// UpstreamCallback is the redirect URI registered with an upstream provider.
func UpstreamCallback(providerID string) string { return "/upstream/callback/" + seg(providerID) }

// UpstreamLink is the link-or-register screen after an upstream login.
func UpstreamLink(linkID string) string { return "/upstream/link/" + seg(linkID) }

// UpstreamBackchannelLogout receives OIDC back-channel logout tokens.
func UpstreamBackchannelLogout(providerID string) string {
	return "/upstream/backchannel-logout/" + seg(providerID)
}

// Matrix client-server API compatibility resource. The {version} wildcard
// accepts any version (r0, v3, …) because clients differ in what they use.
const (
	CompatLoginPattern                 = "/_matrix/client/{version}/login"
	CompatLogoutPattern                = "/_matrix/client/{version}/logout"
	CompatLogoutAllPattern             = "/_matrix/client/{version}/logout/all"
	CompatRefreshPattern               = "/_matrix/client/{version}/refresh"
	CompatLoginSSORedirectPattern      = "/_matrix/client/{version}/login/sso/redirect"
	CompatLoginSSORedirectSlashPattern = "/_matrix/client/{version}/login/sso/redirect/{$}"
	CompatLoginSSORedirectIDPPattern   = "/_matrix/client/{version}/login/sso/redirect/{idp}"
)

// CompatVersion is the client-server API version used when this service
// builds compat URLs itself (the server accepts any).
const CompatVersion = "v3"

// CompatLogin is the legacy login endpoint at CompatVersion.
func CompatLogin() string { return "/_matrix/client/" + CompatVersion + "/login" }

// CompatLoginSSORedirect starts an SSO login through the legacy API.
func CompatLoginSSORedirect() string {
	return "/_matrix/client/" + CompatVersion + "/login/sso/redirect"
}

// GraphQL resource.
const (
	GraphQL           = "/graphql"
	GraphQLPlayground = "/graphql/playground"
)

// Assets resource. AssetsPrefix is a subtree pattern.
const AssetsPrefix = "/assets/"

// Asset is the path of a static file below AssetsPrefix; name is relative
// ("app.css", "fonts/x.woff2") and its segments are escaped one by one.
func Asset(name string) string {
	parts := strings.Split(strings.TrimPrefix(name, "/"), "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return AssetsPrefix + strings.Join(parts, "/")
}

// Admin API resource.
const (
	AdminAPIPrefix      = "/api/admin/v1/"
	AdminAPISpec        = "/api/spec.json"
	AdminAPIDoc         = "/api/doc/"
	AdminAPIDocCallback = "/api/doc/oauth2-callback"
)

// Admin API endpoints, below AdminAPIPrefix (upstream's paths). Its
// resources link to themselves with these paths, as upstream does (no
// public base). Patterns name the resource ID {id}.
const (
	ParamUsername = "username"

	AdminSiteConfig = "/api/admin/v1/site-config"
	AdminVersion    = "/api/admin/v1/version"

	AdminUsers                  = "/api/admin/v1/users"
	AdminUserPattern            = AdminUsers + "/{" + ParamID + "}"
	AdminUserByUsernamePattern  = AdminUsers + "/by-username/{" + ParamUsername + "}"
	AdminUserSetPasswordPattern = AdminUserPattern + "/set-password"
	AdminUserSetAdminPattern    = AdminUserPattern + "/set-admin"
	AdminUserDeactivatePattern  = AdminUserPattern + "/deactivate"
	AdminUserReactivatePattern  = AdminUserPattern + "/reactivate"
	AdminUserLockPattern        = AdminUserPattern + "/lock"
	AdminUserUnlockPattern      = AdminUserPattern + "/unlock"

	AdminUserEmails       = "/api/admin/v1/user-emails"
	AdminUserEmailPattern = AdminUserEmails + "/{" + ParamID + "}"

	AdminUserSessions             = "/api/admin/v1/user-sessions"
	AdminUserSessionPattern       = AdminUserSessions + "/{" + ParamID + "}"
	AdminUserSessionFinishPattern = AdminUserSessionPattern + "/finish"

	AdminCompatSessions             = "/api/admin/v1/compat-sessions"
	AdminCompatSessionPattern       = AdminCompatSessions + "/{" + ParamID + "}"
	AdminCompatSessionFinishPattern = AdminCompatSessionPattern + "/finish"

	AdminOAuth2Sessions             = "/api/admin/v1/oauth2-sessions"
	AdminOAuth2SessionPattern       = AdminOAuth2Sessions + "/{" + ParamID + "}"
	AdminOAuth2SessionFinishPattern = AdminOAuth2SessionPattern + "/finish"

	AdminOAuth2Clients       = "/api/admin/v1/oauth2-clients"
	AdminOAuth2ClientPattern = AdminOAuth2Clients + "/{" + ParamID + "}"

	AdminPersonalSessions                 = "/api/admin/v1/personal-sessions"
	AdminPersonalSessionPattern           = AdminPersonalSessions + "/{" + ParamID + "}"
	AdminPersonalSessionRevokePattern     = AdminPersonalSessionPattern + "/revoke"
	AdminPersonalSessionRegeneratePattern = AdminPersonalSessionPattern + "/regenerate"

	AdminPolicyData        = "/api/admin/v1/policy-data"
	AdminPolicyDataLatest  = AdminPolicyData + "/latest"
	AdminPolicyDataPattern = AdminPolicyData + "/{" + ParamID + "}"

	AdminRegistrationTokens               = "/api/admin/v1/user-registration-tokens"
	AdminRegistrationTokenPattern         = AdminRegistrationTokens + "/{" + ParamID + "}"
	AdminRegistrationTokenRevokePattern   = AdminRegistrationTokenPattern + "/revoke"
	AdminRegistrationTokenUnrevokePattern = AdminRegistrationTokenPattern + "/unrevoke"

	AdminUpstreamLinks       = "/api/admin/v1/upstream-oauth-links"
	AdminUpstreamLinkPattern = AdminUpstreamLinks + "/{" + ParamID + "}"

	AdminUpstreamProviders       = "/api/admin/v1/upstream-oauth-providers"
	AdminUpstreamProviderPattern = AdminUpstreamProviders + "/{" + ParamID + "}"
)

// AdminResource is the Admin API path of one resource of a collection
// (AdminUsers, AdminUserEmails, …): collection + "/" + id.
func AdminResource(collection, id string) string { return collection + "/" + seg(id) }

// AdminUser is the Admin API path of one user.
func AdminUser(id string) string { return AdminResource(AdminUsers, id) }

// AdminUserByUsername is the Admin API path finding a user by username.
func AdminUserByUsername(username string) string {
	return AdminUsers + "/by-username/" + seg(username)
}

// ResourcePaths are the paths a listener resource serves, for the
// resources whose paths operators need named (the ones this version does
// not serve yet, whose paths answer 404).
func ResourcePaths(resource string) []string {
	switch resource {
	case "graphql":
		return []string{GraphQL, GraphQLPlayground}
	case "assets":
		return []string{AssetsPrefix}
	}
	return nil
}

// PartlyServed reports whether a served resource still has paths that
// answer 404 (ResourcePaths names them); none has now that the Admin API
// serves its OpenAPI document and documentation page.
func PartlyServed(string) bool { return false }

// WithQuery appends q to path, leaving path untouched when q is empty. The
// parameters are sorted by key, so the result is stable for tests and caches.
func WithQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + q.Encode()
}

// seg escapes one path segment so that an identifier can never introduce a
// "/" or "?" into a route.
func seg(s string) string { return url.PathEscape(s) }
