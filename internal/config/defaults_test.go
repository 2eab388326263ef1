package config

import (
	"reflect"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// TestDefaults checks each section against upstream's defaults when the
// section is absent from the file.
func TestDefaults(t *testing.T) {
	c := mustLoad(t, minimal)
	idle := uint64(600)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"http", c.HTTP, HTTPConfig{
			Listeners: []ListenerConfig{
				{
					Name: "web",
					Resources: []Resource{
						{Name: "discovery"}, {Name: "human"}, {Name: "oauth"}, {Name: "compat"},
						{Name: "graphql"}, {Name: "assets", Path: "./share/assets/"},
					},
					Binds: []BindConfig{{Address: "[::]:8080"}},
				},
				{
					Name:      "internal",
					Resources: []Resource{{Name: "health"}},
					Binds:     []BindConfig{{Host: "localhost", Port: ptr(uint16(8081))}},
				},
			},
			TrustedProxies: []string{"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/10", "127.0.0.1/8", "fd00::/8", "::1/128"},
			PublicBase:     "http://[::]:8080/",
		}},
		{"issuer", c.HTTP.IssuerURL(), "http://[::]:8080/"},
		{"database", c.Database, DatabaseConfig{
			URI: "postgresql://", MaxConnections: 10, MinConnections: 0,
			ConnectTimeout: 30, IdleTimeout: &idle, MaxLifetime: 1800,
		}},
		{"database pool", c.Database.PoolSettings(), Pool{
			MaxConnections: 10, ConnectTimeout: 30 * time.Second,
			IdleTimeout: 10 * time.Minute, MaxLifetime: 30 * time.Minute,
		}},
		{"telemetry", c.Telemetry, TelemetryConfig{
			Tracing: TracingConfig{Exporter: "none", Endpoint: "https://localhost:4318"},
			Metrics: MetricsConfig{Exporter: "none", Endpoint: "https://localhost:4318"},
		}},
		{"tracing sample rate", c.Telemetry.Tracing.Rate(), 1.0},
		{"sentry environment", c.Telemetry.Sentry.EnvironmentName(), "production"},
		{"sentry rates", [2]float64{c.Telemetry.Sentry.EventRate(), c.Telemetry.Sentry.TracesRate()}, [2]float64{1, 0}},
		{"templates", c.Templates, TemplatesConfig{
			Path: "./share/templates/", AssetsManifest: "./share/manifest.json", TranslationsPath: "./share/translations/",
		}},
		{"email", c.Email, EmailConfig{
			From: `"Authentication Service" <root@localhost>`, ReplyTo: `"Authentication Service" <root@localhost>`,
			Transport: "blackhole",
		}},
		{"sendmail command", c.Email.SendmailCommand(), "sendmail"},
		{"passwords", c.Passwords, PasswordsConfig{
			Enabled: true, Schemes: []HashingScheme{{Version: 1, Algorithm: "argon2id"}}, MinimumComplexity: 3,
		}},
		{"bcrypt cost", c.Passwords.Schemes[0].BcryptCost(), 12},
		{"matrix kind", c.Matrix.Kind, HomeserverSynapse},
		{"matrix homeserver", c.Matrix.Homeserver, "localhost:8008"},
		{"matrix endpoint", c.Matrix.Endpoint, "http://localhost:8008/"},
		{"policy", c.Policy, PolicyConfig{
			WasmModule:                   "./share/policy.wasm",
			ClientRegistrationEntrypoint: "client_registration/violation",
			RegisterEntrypoint:           "register/violation",
			AuthorizationGrantEntrypoint: "authorization_grant/violation",
			CompatLoginEntrypoint:        "compat_login/violation",
			PasswordEntrypoint:           "password/violation",
			EmailEntrypoint:              "email/violation",
			Data:                         map[string]any{},
		}},
		{"rate limiting", c.RateLimiting, RateLimitingConfig{
			AccountRecovery: AccountRecoveryLimits{
				PerIP:      RateLimit{3, 0.0008333333333333334},
				PerAddress: RateLimit{3, 0.0002777777777777778},
			},
			Login: LoginLimits{
				PerIP:      RateLimit{3, 0.05},
				PerAccount: RateLimit{1800, 0.5},
			},
			Registration: RateLimit{3, 0.0008333333333333334},
			EmailAuthentication: EmailAuthenticationLimits{
				PerIP:             RateLimit{5, 0.016666666666666666},
				PerAddress:        RateLimit{3, 0.0002777777777777778},
				EmailsPerSession:  RateLimit{2, 0.0033333333333333335},
				AttemptPerSession: RateLimit{10, 0.016666666666666666},
			},
		}},
		{"clients", len(c.Clients), 0},
		{"upstream", len(c.UpstreamOAuth2.Providers), 0},
		{"branding", c.Branding, BrandingConfig{}},
		{"captcha", c.Captcha, CaptchaConfig{}},
		{"account", c.Account, AccountConfig{
			EmailChangeAllowed: true, DisplaynameChangeAllowed: true, PasswordRegistrationEnabled: false,
			PasswordRegistrationEmailRequired: true, PasswordChangeAllowed: true, PasswordRecoveryEnabled: false,
			AccountDeactivationAllowed: true, LoginWithEmailAllowed: false,
		}},
		{"oauth", c.OAuth, OAuthConfig{DeviceCodeGrantEnabled: true}},
		{"experimental", c.Experimental, ExperimentalConfig{AccessTokenTTL: 300, CompatTokenTTL: 300}},
		{"token lifetimes", [2]time.Duration{c.Experimental.AccessTokenLifetime(), c.Experimental.CompatTokenLifetime()}, [2]time.Duration{5 * time.Minute, 5 * time.Minute}},
		{"backend", c.Database.Backend(), "postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", tt.got, tt.want)
			}
		})
	}
	if err := c.Validate(); err != nil {
		t.Errorf("minimal config does not validate:\n%v", err)
	}
}

// TestNestedDefaults checks the defaults of list elements and optional
// blocks, which are applied when the element is given.
func TestNestedDefaults(t *testing.T) {
	c := mustLoad(t, minimal+`
upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      issuer: https://example.com/
      client_id: x
      token_endpoint_auth_method: none
experimental:
  inactive_session_expiration:
    ttl: 3600
  session_limit:
    soft_limit: 2
    hard_limit: 3
passwords:
  schemes:
    - version: 2
      algorithm: bcrypt
`)
	p := c.UpstreamOAuth2.Providers[0]
	wantProvider := UpstreamProvider{
		Enabled: true, ID: "01HFVBY12TMNTYTBV8W921M5FA", Issuer: "https://example.com/", ClientID: "x",
		TokenEndpointAuthMethod: "none", IDTokenSignedResponseAlg: "RS256", Scope: "openid",
		DiscoveryMode: "oidc", PKCEMethod: "auto", OnBackchannelLogout: "do_nothing",
		ClaimsImports: ClaimsImports{
			Localpart:   LocalpartImport{Action: "ignore", OnConflict: "fail"},
			Displayname: AttributeImport{Action: "ignore"},
			Email:       EmailImport{Action: "ignore"},
		},
	}
	if !reflect.DeepEqual(p, wantProvider) {
		t.Errorf("provider defaults:\ngot  %#v\nwant %#v", p, wantProvider)
	}
	wantExp := ExperimentalConfig{
		AccessTokenTTL: 300, CompatTokenTTL: 300,
		InactiveSessionExpiration: &InactiveSessionExpiration{TTL: 3600, ExpireCompatSessions: true, ExpireOAuthSessions: true, ExpireUserSessions: true},
		SessionLimit:              &SessionLimit{SoftLimit: 2, HardLimit: 3},
	}
	if !reflect.DeepEqual(c.Experimental, wantExp) {
		t.Errorf("experimental:\ngot  %#v\nwant %#v", c.Experimental, wantExp)
	}
	if got := c.Passwords.Schemes; len(got) != 1 || got[0].Version != 2 || got[0].BcryptCost() != 12 {
		t.Errorf("schemes: %#v", got)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

// TestGivenSectionDefaults covers upstream's distinction between an absent
// section (section defaults) and a given one (field defaults).
func TestGivenSectionDefaults(t *testing.T) {
	t.Run("http without listeners has none", func(t *testing.T) {
		c := mustLoad(t, minimal+"http:\n  public_base: https://auth.example.com/\n")
		if len(c.HTTP.Listeners) != 0 {
			t.Errorf("listeners = %#v, want none", c.HTTP.Listeners)
		}
		if got := c.HTTP.IssuerURL(); got != "https://auth.example.com/" {
			t.Errorf("issuer = %q", got)
		}
		if len(c.HTTP.TrustedProxies) != 6 {
			t.Errorf("trusted proxies = %v", c.HTTP.TrustedProxies)
		}
	})
	t.Run("http needs public_base", func(t *testing.T) {
		_, err := LoadBytes("test.yaml", []byte(minimal+"http:\n  trusted_proxies: []\n"))
		wantProblem(t, err, "http.public_base", "missing required key")
	})
	t.Run("database keys without default uri", func(t *testing.T) {
		c := mustLoad(t, minimal+"database:\n  host: db\n")
		if c.Database.URI != "" {
			t.Errorf("uri = %q, want empty", c.Database.URI)
		}
		if err := c.Validate(); err != nil {
			t.Error(err)
		}
	})
	t.Run("empty database section keeps default uri", func(t *testing.T) {
		c := mustLoad(t, minimal+"database:\n  max_connections: 5\n")
		if c.Database.URI != DefaultDatabaseURI {
			t.Errorf("uri = %q", c.Database.URI)
		}
	})
	t.Run("null keeps defaults", func(t *testing.T) {
		c := mustLoad(t, minimal+"email:\n  transport: blackhole\n  from: ~\naccount: ~\ndatabase:\n  idle_timeout: ~\n")
		if c.Email.From != DefaultEmailAddress || !c.Account.EmailChangeAllowed {
			t.Errorf("null replaced defaults: %#v %#v", c.Email, c.Account)
		}
		if c.Database.IdleTimeout != nil || c.Database.PoolSettings().IdleTimeout != 0 {
			t.Errorf("idle_timeout: null should disable the idle timeout")
		}
	})
	t.Run("email section needs transport", func(t *testing.T) {
		_, err := LoadBytes("test.yaml", []byte(minimal+"email:\n  from: a@example.com\n"))
		wantProblem(t, err, "email.transport", "missing required key")
	})
}
