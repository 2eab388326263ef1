package app

import (
	"context"
	"net/http"

	"mas/internal/adminapi"
	"mas/internal/compat"
	"mas/internal/config"
	"mas/internal/httpserver"
	"mas/internal/login"
	"mas/internal/oauth"
	"mas/internal/pages"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/templates"
	"mas/internal/web"
)

// handlers are the per-area HTTP handlers, built once and mounted on every
// listener that serves their resource.
type handlers struct {
	oauth  *oauth.Handler
	web    *web.Handler
	compat *compat.Handler
	admin  *adminapi.Handler
	// policy is the engine every handler shares; its dynamic data is swapped in place.
	policy *policy.Engine
}

// buildHandlers wires every handler from the opened components. It runs
// after migrations because the policy reads dynamic data from the store.
func (a *App) buildHandlers(ctx context.Context) (*handlers, error) {
	cfg := a.Config
	engine, err := policyEngine(ctx, cfg, a.Store)
	if err != nil {
		return nil, err
	}
	limits, err := ratelimit.NewSet(rateLimits(cfg.RateLimiting), ratelimit.Options{Now: a.Clock.Now})
	if err != nil {
		return nil, err
	}
	sessions, err := session.New(session.Options{
		Store:     a.Store,
		Encrypter: a.Encrypter,
		URLs:      a.URLs,
		Clock:     a.Clock,
		Rand:      a.Rand,
	})
	if err != nil {
		return nil, err
	}
	renderer := &pages.Renderer{Templates: a.Templates, URLs: a.URLs, Branding: branding(cfg), CSRF: sessions, I18n: a.I18n}
	checker := &login.Checker{Store: a.Store, Passwords: a.Passwords, Limits: limits, ServerName: cfg.Matrix.Homeserver,
		LoginWithEmail: cfg.Account.LoginWithEmailAllowed}
	introspection, tracker := a.introspectionParts()
	o := &oauth.Handler{
		Introspection: introspection,
		Activity:      tracker,
		ClientCache:   oauth.NewClientCache(a.Store.Invalidations(), a.Clock),
		Store:         a.Store,
		Keys:          a.Keys,
		Encrypter:     a.Encrypter,
		Homeserver:    a.Homeserver,
		Policy:        engine,
		Limits:        limits,
		Sessions:      sessions,
		Pages:         renderer,
		URLs:          a.URLs,
		Clock:         a.Clock,
		Rand:          a.Rand,
		Settings: oauth.Settings{
			AccessTokenTTL:         cfg.Experimental.AccessTokenLifetime(),
			DeviceCodeGrantEnabled: cfg.OAuth.DeviceCodeGrantEnabled,
			DeviceCodeAutoFill:     cfg.OAuth.DeviceCodeUserCodeAutoFillEnabled,
			RegistrationEnabled:    cfg.Account.PasswordRegistrationEnabled && cfg.Passwords.Enabled,
		},
	}
	registrationCaptcha, err := captchaVerifier(cfg)
	if err != nil {
		return nil, err
	}
	upstreamProviders, err := a.upstreamRegistry(ctx)
	if err != nil {
		return nil, err
	}
	w := &web.Handler{
		Store:      a.Store,
		Sessions:   sessions,
		Login:      checker,
		Pages:      renderer,
		URLs:       a.URLs,
		Clock:      a.Clock,
		Homeserver: a.Homeserver,
		Policy:     engine,
		Limits:     limits,
		Captcha:    registrationCaptcha,
		Rand:       a.Rand,
		Settings:   webSettings(cfg),
		Upstream:   upstreamProviders,
	}
	c := &compat.Handler{
		Store:      a.Store,
		Homeserver: a.Homeserver,
		Policy:     engine,
		Login:      checker,
		Limits:     limits,
		Sessions:   sessions,
		Pages:      renderer,
		URLs:       a.URLs,
		Clock:      a.Clock,
		Rand:       a.Rand,
		Settings: compat.Settings{
			TokenTTL:          cfg.Experimental.CompatTokenLifetime(),
			HardLimitEviction: cfg.Experimental.SessionLimit != nil && cfg.Experimental.SessionLimit.DangerousHardLimitEviction,
		},
	}
	return &handlers{oauth: o, web: w, compat: c, admin: &adminapi.Handler{Store: a.Store, Clock: a.Clock, URLs: a.URLs, Pages: renderer, Rand: a.Rand, Policy: engine,
		Homeserver: a.Homeserver, Passwords: a.Passwords, Site: adminSiteConfig(cfg), Version: a.Version}, policy: engine}, nil
}

// mounts maps each listener resource to the handlers that serve it.
// Resources whose handlers are not built yet answer with the 404 page.
func (h *handlers) mounts() map[string]httpserver.MountFunc {
	return map[string]httpserver.MountFunc{
		httpserver.ResourceDiscovery: func(mux *http.ServeMux, _ httpserver.Resource) { h.oauth.MountDiscovery(mux) },
		httpserver.ResourceOAuth:     func(mux *http.ServeMux, _ httpserver.Resource) { h.oauth.MountOAuth(mux) },
		httpserver.ResourceHuman: func(mux *http.ServeMux, _ httpserver.Resource) {
			h.web.Mount(mux)
			h.oauth.MountHuman(mux)
			h.compat.MountHuman(mux)
		},
		httpserver.ResourceCompat: func(mux *http.ServeMux, _ httpserver.Resource) { h.compat.Mount(mux) },
		// adminapi serves the Admin API, its OpenAPI document and documentation page.
		httpserver.ResourceAdminAPI: func(mux *http.ServeMux, _ httpserver.Resource) { h.admin.Mount(mux) },
	}
}

// rateLimits converts the `rate_limiting` section.
func rateLimits(r config.RateLimitingConfig) ratelimit.Config {
	rate := func(l config.RateLimit) ratelimit.Rate {
		return ratelimit.Rate{Burst: int(l.Burst), PerSecond: l.PerSecond}
	}
	c := ratelimit.DefaultConfig()
	c.LoginPerIP = rate(r.Login.PerIP)
	c.LoginPerAccount = rate(r.Login.PerAccount)
	c.Registration = rate(r.Registration)
	c.AccountRecoveryPerIP = rate(r.AccountRecovery.PerIP)
	c.AccountRecoveryPerAddress = rate(r.AccountRecovery.PerAddress)
	c.EmailAuthenticationPerIP = rate(r.EmailAuthentication.PerIP)
	c.EmailAuthenticationPerAddress = rate(r.EmailAuthentication.PerAddress)
	c.EmailAuthenticationEmailsPerSession = rate(r.EmailAuthentication.EmailsPerSession)
	c.EmailAuthenticationAttemptPerSession = rate(r.EmailAuthentication.AttemptPerSession)
	return c
}

// branding is how the pages present the deployment.
func branding(cfg *config.Config) templates.Branding {
	b := cfg.Branding
	return templates.Branding{ServiceName: b.ServiceName, LogoURI: b.LogoURI, PolicyURI: b.PolicyURI, TOSURI: b.TOSURI, Imprint: b.Imprint}
}

// UnservedResource is a listener resource of the configuration that this
// version does not serve yet: its paths answer 404.
type UnservedResource struct {
	Listener, Resource string
	Paths              []string
}

// UnservedResources lists them, for start-up warnings and `doctor`.
func UnservedResources(cfg *config.Config) []UnservedResource {
	served := map[string]bool{}
	for name := range (&handlers{}).mounts() {
		served[name] = true
	}
	for _, name := range httpserver.BuiltinResources() {
		served[name] = true
	}
	var out []UnservedResource
	for _, l := range cfg.HTTP.Listeners {
		for _, r := range l.Resources {
			if name := string(r.Name); !served[name] || routes.PartlyServed(name) {
				out = append(out, UnservedResource{Listener: l.Name, Resource: name, Paths: routes.ResourcePaths(name)})
			}
		}
	}
	return out
}

// webSettings converts the `account` and `passwords` settings the pages
// follow.
func webSettings(cfg *config.Config) web.Settings {
	acc := cfg.Account
	return web.Settings{
		PasswordRegistrationEnabled:       acc.PasswordRegistrationEnabled,
		PasswordRegistrationEmailRequired: acc.PasswordRegistrationEmailRequired,
		RegistrationTokenRequired:         acc.PasswordRegistrationTokenRequired || acc.RegistrationTokenRequired,
		PasswordRecoveryEnabled:           acc.PasswordRecoveryEnabled,
		PasswordChangeAllowed:             acc.PasswordChangeAllowed,
		EmailChangeAllowed:                acc.EmailChangeAllowed,
		DisplayNameChangeAllowed:          acc.DisplaynameChangeAllowed,
		AccountDeactivationAllowed:        acc.AccountDeactivationAllowed,
		LoginWithEmailAllowed:             acc.LoginWithEmailAllowed,
		MinimumPasswordComplexity:         int(cfg.Passwords.MinimumComplexity),
		PlanManagementIframeURI:           cfg.Experimental.PlanManagementIframeURI,
	}
}
