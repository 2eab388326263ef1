package oauth

import (
	"io"
	"net/http"
	"sync"
	"time"

	"mas/internal/activity"
	"mas/internal/clock"
	"mas/internal/encrypt"
	"mas/internal/homeserver"
	"mas/internal/keys"
	"mas/internal/pages"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
)

// Settings are the configuration values the protocol depends on.
type Settings struct {
	// AccessTokenTTL is the lifetime of OAuth access tokens
	// (experimental.access_token_ttl, default 5 minutes).
	AccessTokenTTL time.Duration
	// DeviceCodeGrantEnabled switches the device authorization grant on
	// (oauth.device_code_grant_enabled, default true).
	DeviceCodeGrantEnabled bool
	// DeviceCodeAutoFill puts the user code in verification_uri_complete
	// and honours ?code= on /link (oauth.device_code_user_code_auto_fill_enabled).
	DeviceCodeAutoFill bool
	// RegistrationEnabled is password registration being open
	// (account.password_registration_enabled with passwords enabled):
	// prompt=create then leads to the registration pages and is
	// advertised.
	RegistrationEnabled bool
}

// Handler serves the OAuth 2.0 endpoints. Every dependency is explicit.
type Handler struct {
	Store      store.Store
	Keys       *keys.KeySet
	Encrypter  *encrypt.Encrypter
	Homeserver homeserver.Connection
	Policy     *policy.Engine
	Limits     *ratelimit.Set
	Sessions   *session.Manager
	Pages      *pages.Renderer
	URLs       *routes.URLBuilder
	Clock      clock.Clock
	Rand       io.Reader
	Settings   Settings
	// Introspection caches introspection answers (nil: no cache) and
	// Activity batches session activity (nil: none recorded); see
	// introspect_cache.go and activity.go.
	Introspection *IntrospectionCache
	Activity      *activity.Tracker
	// ClientCache keeps the clients looked up (nil: no cache); see
	// client_cache.go.
	ClientCache *ClientCache

	clientKeysOnce sync.Once
	clientKeys     *clientJWKSCache
}

// MountDiscovery registers the `discovery` resource.
func (h *Handler) MountDiscovery(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.OIDCDiscovery, h.discovery)
	mux.HandleFunc("GET "+routes.OAuthDiscovery, h.discovery)
	mux.HandleFunc("GET "+routes.WebFinger, h.webfinger)
}

// MountOAuth registers the `oauth` resource (the API endpoints).
func (h *Handler) MountOAuth(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.OAuth2Keys, h.jwks)
	mux.HandleFunc("GET "+routes.OAuth2UserInfo, h.userinfo)
	mux.HandleFunc("POST "+routes.OAuth2UserInfo, h.userinfo)
	mux.HandleFunc("POST "+routes.OAuth2Introspection, h.introspect)
	mux.HandleFunc("POST "+routes.OAuth2Revocation, h.revoke)
	mux.HandleFunc("POST "+routes.OAuth2Token, h.token)
	mux.HandleFunc("POST "+routes.OAuth2Registration, h.register)
	if h.Settings.DeviceCodeGrantEnabled {
		mux.HandleFunc("POST "+routes.OAuth2DeviceAuthorization, h.deviceAuthorization)
	}
}

// MountHuman registers the browser-facing protocol pages of the `human`
// resource: the authorization endpoint, consent, and the device-code pages.
func (h *Handler) MountHuman(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.Authorize, h.authorize)
	mux.HandleFunc("GET "+routes.ConsentPattern, h.consentPage)
	mux.HandleFunc("POST "+routes.ConsentPattern, h.consentSubmit)
	if h.Settings.DeviceCodeGrantEnabled {
		mux.HandleFunc("GET "+routes.DeviceLink, h.deviceLinkPage)
		mux.HandleFunc("POST "+routes.DeviceLink, h.deviceLinkSubmit)
		mux.HandleFunc("GET "+routes.DeviceConsentPattern, h.deviceConsentPage)
		mux.HandleFunc("POST "+routes.DeviceConsentPattern, h.deviceConsentSubmit)
	}
}
