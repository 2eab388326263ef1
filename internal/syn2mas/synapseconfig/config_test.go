package synapseconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// files writes each content to its own file and returns the paths, in
// order.
func files(t *testing.T, contents ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, c := range contents {
		p := filepath.Join(dir, "hs"+string(rune('a'+i))+".yaml")
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func mustLoad(t *testing.T, contents ...string) *Config {
	t.Helper()
	c, err := Load(files(t, contents...)...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

const minimal = `
server_name: example.com
database:
  name: psycopg2
  args: {user: synapse, dbname: synapse}
`

func TestLoadDefaults(t *testing.T) {
	got := mustLoad(t, minimal)
	want := &Config{
		ServerName:           "example.com",
		Database:             Database{Name: "psycopg2", Args: map[string]any{"user": "synapse", "dbname": "synapse"}},
		Password:             PasswordConfig{Enabled: true, LocalDBEnabled: true},
		BcryptRounds:         12,
		EnableSetDisplayName: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %#v\nwant %#v", got, want)
	}
}

// Every key the migration reads, set away from its default.
const everything = `
server_name: matrix.example.org
public_baseurl: https://matrix.example.org
database:
  name: sqlite3
  args: {database: /data/homeserver.db, cp_min: 1}
password_config:
  enabled: true
  localdb_enabled: false
  pepper: "p3pp3r"
bcrypt_rounds: 10
enable_set_display_name: false
registration_requires_token: yes
registrations_require_3pid: [email]
recaptcha_public_key: site
recaptcha_private_key: secret
allow_guest_access: true
enable_3pid_changes: false
login_via_existing_session: {enabled: true}
enable_registration: on
enable_registration_captcha: true
user_consent: {template_dir: /x, version: "1.0"}
cas_config: {server_url: https://cas.example.org}
saml2_config: {sp_config: {}}
jwt_config: {enabled: true, secret: s, algorithm: HS256}
oidc_providers:
  - idp_id: google
    idp_name: Google
    idp_brand: google
    issuer: https://accounts.google.com/
    client_id: cid
    client_secret: csecret
    client_auth_method: client_secret_post
    scopes: [openid, profile, email]
    discover: false
    skip_verification: true
    pkce_method: always
    user_profile_method: userinfo_endpoint
    id_token_signing_alg_values_supported: [RS256, ES256]
    authorization_endpoint: https://accounts.google.com/o/oauth2/v2/auth
    token_endpoint: https://oauth2.googleapis.com/token
    userinfo_endpoint: https://openidconnect.googleapis.com/v1/userinfo
    jwks_uri: https://www.googleapis.com/oauth2/v3/certs
    allow_existing_users: true
    enable_registration: false
    attribute_requirements: [{attribute: hd, value: example.org}]
    backchannel_logout_enabled: true
    backchannel_logout_ignore_sub: true
    additional_authorization_parameters: {prompt: consent, max_age: 300}
    forward_login_hint: true
    user_mapping_provider:
      module: synapse.handlers.oidc_handler.JinjaOidcMappingProvider
      config:
        subject_claim: id
        localpart_template: "{{ user.preferred_username }}"
        confirm_localpart: true
`

func TestLoadEveryField(t *testing.T) {
	got := mustLoad(t, everything)
	f := false
	want := &Config{
		ServerName:                "matrix.example.org",
		PublicBaseURL:             "https://matrix.example.org/",
		Database:                  Database{Name: "sqlite3", Args: map[string]any{"database": "/data/homeserver.db", "cp_min": uint64(1)}},
		Password:                  PasswordConfig{Enabled: true, LocalDBEnabled: false, Pepper: "p3pp3r", HasPepper: true},
		BcryptRounds:              10,
		EnableSetDisplayName:      false,
		RegistrationRequiresToken: true,
		RegistrationsRequire3PID:  []string{"email"},
		RecaptchaPublicKey:        "site",
		RecaptchaPrivateKey:       "secret",

		AllowGuestAccess:               true,
		Enable3PIDChanges:              &f,
		LoginViaExistingSessionEnabled: true,
		EnableRegistration:             true,
		EnableRegistrationCaptcha:      true,
		UserConsent:                    true,
		CASEnabled:                     true,
		SAML2:                          true,
		JWTEnabled:                     true,
		OIDCProviders: []OIDCProvider{{
			IdpID:                             "oidc-google",
			Enabled:                           true,
			IdpName:                           "Google",
			IdpBrand:                          "google",
			Issuer:                            "https://accounts.google.com/",
			ClientID:                          "cid",
			ClientSecret:                      "csecret",
			ClientAuthMethod:                  "client_secret_post",
			Scopes:                            []string{"openid", "profile", "email"},
			Discover:                          false,
			SkipVerification:                  true,
			PKCEMethod:                        "always",
			UserProfileMethod:                 "userinfo_endpoint",
			IDTokenSigningAlgValuesSupported:  []string{"RS256", "ES256"},
			AllowExistingUsers:                true,
			EnableRegistration:                false,
			HasAttributeRequirements:          true,
			BackchannelLogoutEnabled:          true,
			BackchannelLogoutIgnoreSub:        true,
			AdditionalAuthorizationParameters: map[string]string{"prompt": "consent", "max_age": "300"},
			ForwardLoginHint:                  true,
			AuthorizationEndpoint:             "https://accounts.google.com/o/oauth2/v2/auth",
			TokenEndpoint:                     "https://oauth2.googleapis.com/token",
			UserinfoEndpoint:                  "https://openidconnect.googleapis.com/v1/userinfo",
			JWKSURI:                           "https://www.googleapis.com/oauth2/v3/certs",
			UserMappingModule:                 JinjaMappingProvider,
			UserMapping: map[string]any{
				"subject_claim":      "id",
				"localpart_template": "{{ user.preferred_username }}",
				"confirm_localpart":  true,
			},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("every field:\n got %#v\nwant %#v", got, want)
	}
	p := got.OIDCProviders[0]
	if v, ok := p.MappingString("localpart_template"); !ok || v != "{{ user.preferred_username }}" {
		t.Errorf("MappingString(localpart_template) = %q, %v", v, ok)
	}
	if _, ok := p.MappingString("display_name_template"); ok {
		t.Error("MappingString of an absent key is ok")
	}
	if !p.MappingBool("confirm_localpart") || p.MappingBool("missing") {
		t.Error("MappingBool")
	}
}

// Sections that only count when enabled, and the other defaults that
// depend on what else is set.
func TestLoadSectionDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		check      func(*Config) bool
	}{
		{"empty cas_config is off", "cas_config: {}", func(c *Config) bool { return !c.CASEnabled }},
		{"cas_config enabled: false", "cas_config: {enabled: false, server_url: x}", func(c *Config) bool { return !c.CASEnabled }},
		{"null saml2_config is off", "saml2_config:", func(c *Config) bool { return !c.SAML2 }},
		{"saml2_config enabled: false", "saml2_config: {enabled: false, sp_config: {}}", func(c *Config) bool { return !c.SAML2 }},
		{"jwt_config needs enabled", "jwt_config: {secret: s}", func(c *Config) bool { return !c.JWTEnabled }},
		{"login_via_existing_session needs enabled", "login_via_existing_session: {token_timeout: 5m}",
			func(c *Config) bool { return !c.LoginViaExistingSessionEnabled }},
		{"null user_consent is absent", "user_consent: ~", func(c *Config) bool { return !c.UserConsent }},
		{"empty user_consent is present", "user_consent: {}", func(c *Config) bool { return c.UserConsent }},
		{"enable_3pid_changes true", "enable_3pid_changes: true", func(c *Config) bool { return *c.Enable3PIDChanges }},
		{"enable_3pid_changes unset", "", func(c *Config) bool { return c.Enable3PIDChanges == nil }},
		{"only_for_reauth", "password_config: {enabled: only_for_reauth}",
			func(c *Config) bool {
				return !c.Password.Enabled && c.Password.OnlyForReauth && c.Password.LocalDBEnabled
			}},
		{"passwords disabled", "password_config: {enabled: no}", func(c *Config) bool { return !c.Password.Enabled }},
		{"empty pepper is a pepper", `password_config: {pepper: ""}`,
			func(c *Config) bool { return c.Password.HasPepper && c.Password.Pepper == "" }},
		{"public_baseurl keeps its slash", "public_baseurl: http://localhost:8008/",
			func(c *Config) bool { return c.PublicBaseURL == "http://localhost:8008/" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, minimal+tc.yaml+"\n")
			if !tc.check(c) {
				t.Errorf("%s: got %+v", tc.yaml, c)
			}
		})
	}
}

// Later files win; mappings merge at every depth; lists are replaced.
func TestLoadMerging(t *testing.T) {
	c := mustLoad(t, `
server_name: first.example
bcrypt_rounds: 10
database:
  name: psycopg2
  args: {user: synapse, host: db1, dbname: synapse}
password_config: {pepper: one, localdb_enabled: false}
registrations_require_3pid: [email, msisdn]
oidc_providers:
  - {idp_id: a, issuer: https://a/, client_id: a}
  - {idp_id: b, issuer: https://b/, client_id: b}
`, `
server_name: second.example
database:
  args: {host: db2, port: 5433}
password_config: {pepper: two}
registrations_require_3pid: [email]
oidc_providers:
  - {idp_id: c, issuer: https://c/, client_id: c}
`, `
bcrypt_rounds: ~
`)
	if c.ServerName != "second.example" {
		t.Errorf("server_name = %q, want the later file's", c.ServerName)
	}
	wantArgs := map[string]any{"user": "synapse", "host": "db2", "dbname": "synapse", "port": uint64(5433)}
	if c.Database.Name != "psycopg2" || !reflect.DeepEqual(c.Database.Args, wantArgs) {
		t.Errorf("database = %+v, want the sections merged key by key: %v", c.Database, wantArgs)
	}
	if c.Password.Pepper != "two" || c.Password.LocalDBEnabled {
		t.Errorf("password_config = %+v, want pepper two and localdb_enabled kept false", c.Password)
	}
	if !reflect.DeepEqual(c.RegistrationsRequire3PID, []string{"email"}) {
		t.Errorf("registrations_require_3pid = %v, want the later list, not a concatenation", c.RegistrationsRequire3PID)
	}
	if got := c.IdpIDs(); !reflect.DeepEqual(got, []string{"oidc-c"}) {
		t.Errorf("oidc_providers = %v, want the later list only", got)
	}
	if c.BcryptRounds != 12 {
		t.Errorf("bcrypt_rounds = %d: a later null should leave the default", c.BcryptRounds)
	}

	// Merging does not write through to an earlier file's sections.
	c = mustLoad(t, "server_name: a\ndatabase: {name: sqlite3, args: {database: x}}\n",
		"database: {args: {database: y}}\n", "database: {name: sqlite3}\n")
	if c.Database.Args["database"] != "y" {
		t.Errorf("database.args.database = %v, want y", c.Database.Args["database"])
	}
}

func TestIdpIDs(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
		enabled    []bool
	}{
		{"none", "", []string{}, nil},
		{"prefixing", `
oidc_providers:
  - {idp_id: oidc, issuer: https://o/, client_id: o}
  - {idp_id: keycloak, issuer: https://k/, client_id: k}
  - {idp_id: oidc-x, issuer: https://x/, client_id: x}
`, []string{"oidc", "oidc-keycloak", "oidc-oidc-x"}, []bool{true, true, true}},
		{"no idp_id", "oidc_providers: [{issuer: https://n/, client_id: n}]", []string{"oidc"}, []bool{true}},
		{"legacy", "oidc_config: {enabled: true, issuer: https://l/, client_id: l}", []string{"oidc"}, []bool{true}},
		{"legacy disabled still maps", "oidc_config: {issuer: https://l/, client_id: l}", []string{"oidc"}, []bool{false}},
		{"legacy with idp_id", "oidc_config: {enabled: true, idp_id: corp, issuer: https://l/, client_id: l}",
			[]string{"oidc-corp"}, []bool{true}},
		{"legacy without issuer is ignored", "oidc_config: {enabled: true, client_id: l}", []string{}, nil},
		{"legacy and providers", `
oidc_config: {enabled: true, issuer: https://l/, client_id: l}
oidc_providers: [{idp_id: gitlab, issuer: https://g/, client_id: g}]
`, []string{"oidc", "oidc-gitlab"}, []bool{true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, minimal+tc.yaml+"\n")
			if got := c.IdpIDs(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("IdpIDs() = %q, want %q", got, tc.want)
			}
			for i, p := range c.OIDCProviders {
				if p.IdpID != tc.want[i] {
					t.Errorf("OIDCProviders[%d].IdpID = %q, want %q (sorted)", i, p.IdpID, tc.want[i])
				}
				if p.Enabled != tc.enabled[i] {
					t.Errorf("%s: Enabled = %v, want %v", p.IdpID, p.Enabled, tc.enabled[i])
				}
			}
		})
	}
}

// Synapse's defaults for a provider, and its client_auth_method rule.
func TestOIDCProviderDefaults(t *testing.T) {
	c := mustLoad(t, minimal+`
oidc_providers:
  - {idp_id: a, issuer: https://a/, client_id: a}
  - {idp_id: b, issuer: https://b/, client_id: b, client_secret: s}
  - {idp_id: c, issuer: https://c/, client_id: c, client_secret_path: /run/secret}
  - {idp_id: d, issuer: https://d/, client_id: d, client_secret_jwt_key: {key: k, jwt_header: {alg: ES256}}}
  - {idp_id: e, issuer: https://e/, client_id: e, user_mapping_provider: {module: my.Mapper, config: {x: 1}}}
`)
	want := OIDCProvider{
		IdpID: "oidc-a", Enabled: true, IdpName: "OIDC", Issuer: "https://a/", ClientID: "a",
		ClientAuthMethod: "none", Scopes: []string{"openid"}, Discover: true, PKCEMethod: "auto",
		UserProfileMethod: "auto", EnableRegistration: true, UserMappingModule: JinjaMappingProvider,
	}
	if got := c.OIDCProviders[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %#v\nwant %#v", got, want)
	}
	for i, method := range []string{"none", "client_secret_basic", "client_secret_basic", "client_secret_basic", "none"} {
		if got := c.OIDCProviders[i].ClientAuthMethod; got != method {
			t.Errorf("%s: client_auth_method = %q, want %q", c.OIDCProviders[i].IdpID, got, method)
		}
	}
	if p := c.OIDCProviders[2]; p.ClientSecretPath != "/run/secret" {
		t.Errorf("client_secret_path = %q", p.ClientSecretPath)
	}
	wantKey := &JWTKey{Key: "k", Header: map[string]string{"alg": "ES256"}}
	if p := c.OIDCProviders[3]; !reflect.DeepEqual(p.ClientSecretJWTKey, wantKey) {
		t.Errorf("client_secret_jwt_key = %#v, want %#v", p.ClientSecretJWTKey, wantKey)
	}
	if p := c.OIDCProviders[4]; p.UserMappingModule != "my.Mapper" || p.UserMapping["x"] != uint64(1) {
		t.Errorf("custom mapping provider: %q %v", p.UserMappingModule, p.UserMapping)
	}
}

// Synapse's ways of naming its database.
func TestLoadDatabaseForms(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       Database
	}{
		{"name defaults to sqlite3", "database: {args: {database: /d/h.db}}",
			Database{Name: "sqlite3", Args: map[string]any{"database": "/d/h.db"}}},
		{"no args", "database: {name: psycopg2}", Database{Name: "psycopg2", Args: map[string]any{}}},
		{"legacy database_path", "database_path: /d/h.db",
			Database{Name: "sqlite3", Args: map[string]any{"database": "/d/h.db"}}},
		{"database wins over database_path", "database: {name: psycopg2}\ndatabase_path: /d/h.db",
			Database{Name: "psycopg2", Args: map[string]any{}}},
		{"databases: the main store", `
databases:
  state: {name: psycopg2, data_stores: [state], args: {dbname: state}}
  master: {name: psycopg2, data_stores: [main], args: {dbname: main}}
`, Database{Name: "psycopg2", Args: map[string]any{"dbname": "main"}}},
		{"databases: all stores by default", "databases: {one: {name: psycopg2, args: {dbname: all}}}",
			Database{Name: "psycopg2", Args: map[string]any{"dbname": "all"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, "server_name: x\n"+tc.yaml+"\n")
			if !reflect.DeepEqual(c.Database, tc.want) {
				t.Errorf("database = %#v, want %#v", c.Database, tc.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(); !errors.Is(err, ErrNoFiles) || err.Error() != "Please specify the path to the Synapse configuration file(s)." {
		t.Errorf("no files: %v", err)
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v", err)
	}
	unreadable := files(t, minimal)[0]
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(unreadable); err == nil {
		t.Log("running as root: the unreadable-file case cannot be set up")
	} else if _, err := Load(unreadable); err == nil || !strings.Contains(err.Error(), unreadable) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("unreadable file: %v", err)
	}

	for _, tc := range []struct {
		name  string
		files []string
		// want are substrings of the error; fileIdx is the file it must
		// name (-1: no check).
		want    []string
		fileIdx int
	}{
		{"invalid YAML", []string{minimal, "server_name: [\n"}, []string{"is not valid YAML"}, 1},
		{"not a mapping", []string{"- a\n- b\n"}, []string{"is not a YAML mapping", "a list"}, 0},
		{"empty file", []string{""}, []string{"server_name: required", "database: required"}, 0},
		{"no server_name", []string{"database: {name: psycopg2}"}, []string{"server_name: required"}, -1},
		{"empty server_name", []string{minimal, `server_name: ""`}, []string{"server_name: required"}, 1},
		{"wrong types, each named with its file", []string{minimal, "bcrypt_rounds: twelve\nallow_guest_access: maybe\n"},
			[]string{"bcrypt_rounds: expected an integer, found a string", "allow_guest_access: expected a boolean, found a string"}, 1},
		{"type error in a list item", []string{minimal, "oidc_providers: [{idp_id: a, issuer: https://a/, client_id: a, scopes: [openid, 3]}]"},
			[]string{"oidc_providers[0].scopes[1]: expected a string, found an integer"}, 1},
		{"oidc_providers not a list", []string{minimal + "oidc_providers: {idp_id: a}\n"}, []string{"oidc_providers: expected a list, found a mapping"}, 0},
		{"database not a mapping", []string{"server_name: x\ndatabase: postgres\n"}, []string{"database: expected a mapping, found a string"}, 0},
		{"database and databases", []string{"server_name: x\ndatabase: {name: sqlite3}\ndatabases: {a: {name: psycopg2}}\n"},
			[]string{"both `database` and `databases`"}, 0},
		{"no main database", []string{"server_name: x\ndatabases: {a: {name: psycopg2, data_stores: [state]}}\n"},
			[]string{"no database holds the main data store"}, 0},
		{"bad public_baseurl", []string{minimal + "public_baseurl: matrix.example.com\n"}, []string{"public_baseurl", "not an http or https URL"}, 0},
		{"duplicate idp ids", []string{minimal + `
oidc_config: {enabled: true, issuer: https://l/, client_id: l}
oidc_providers: [{issuer: https://n/, client_id: n}]
`}, []string{`Multiple OIDC providers have the idp_id "oidc".`}, 0},
		{"additional_authorization_parameters not scalars", []string{minimal + "oidc_providers: [{idp_id: a, additional_authorization_parameters: {x: [1]}}]\n"},
			[]string{"oidc_providers[0].additional_authorization_parameters.x: expected a string, found a list"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths := files(t, tc.files...)
			c, err := Load(paths...)
			if err == nil {
				t.Fatalf("no error; got %+v", c)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if tc.fileIdx >= 0 && !strings.Contains(err.Error(), paths[tc.fileIdx]) {
				t.Errorf("error does not name %s:\n%v", paths[tc.fileIdx], err)
			}
		})
	}
}

func TestSource(t *testing.T) {
	type pg struct {
		host     string
		port     uint16
		user     string
		password string
		database string
		params   map[string]string
		tls      bool // TLS tried: sslmode prefer (the default) or stricter, over TCP
	}
	for _, tc := range []struct {
		name   string
		db     Database
		driver string
		dsn    string // exact, when set
		pg     *pg    // what pgx reads from the URI, when set
		err    string
	}{
		{name: "sqlite", db: Database{Name: "sqlite3", Args: map[string]any{"database": "/data/homeserver.db", "cp_min": 1}},
			driver: "sqlite", dsn: "/data/homeserver.db"},
		{name: "sqlite without a path", db: Database{Name: "sqlite3", Args: map[string]any{}}, err: "database.args.database: required"},
		{name: "sqlite in memory", db: Database{Name: "sqlite3", Args: map[string]any{"database": ":memory:"}}, err: ":memory:"},
		{name: "other driver", db: Database{Name: "psycopg", Args: map[string]any{}},
			err: "syn2mas does not support the psycopg database driver"},
		{name: "postgres, every part", db: Database{Name: "psycopg2", Args: map[string]any{
			"user": "synapse_user", "password": "p@ss:w/rd", "host": "db.example.com", "port": uint64(5433),
			"dbname": "synapse", "sslmode": "require",
			"cp_min": uint64(5), "cp_max": uint64(10), "keepalives_idle": uint64(10), "application_name": "synapse",
		}}, driver: "postgres",
			dsn: "postgres://synapse_user:p%40ss%3Aw%2Frd@db.example.com:5433/synapse?application_name=syn2mas-synapse&sslmode=require",
			pg: &pg{host: "db.example.com", port: 5433, user: "synapse_user", password: "p@ss:w/rd", database: "synapse",
				params: map[string]string{"application_name": "syn2mas-synapse"}, tls: true}},
		{name: "postgres, TLS files", db: Database{Name: "psycopg2", Args: map[string]any{
			"host": "h", "sslmode": "verify-full", "sslrootcert": "/etc/ssl/ca.pem", "sslcert": "/c.pem", "sslkey": "/k.pem"}},
			driver: "postgres", dsn: "postgres://h/?application_name=syn2mas-synapse&sslcert=%2Fc.pem&sslkey=%2Fk.pem&sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fca.pem"},
		{name: "postgres, database spelling", db: Database{Name: "psycopg2", Args: map[string]any{"database": "syn", "host": "localhost"}},
			driver: "postgres", dsn: "postgres://localhost/syn?application_name=syn2mas-synapse"},
		{name: "postgres, port as a string", db: Database{Name: "psycopg2", Args: map[string]any{"host": "h", "port": "6543", "user": "u"}},
			driver: "postgres", pg: &pg{host: "h", port: 6543, user: "u", params: map[string]string{"application_name": "syn2mas-synapse"}, tls: true}},
		{name: "postgres, socket directory", db: Database{Name: "psycopg2", Args: map[string]any{
			"host": "/var/run/postgresql", "port": 5432, "user": "synapse", "dbname": "synapse"}},
			driver: "postgres", dsn: "postgres://synapse@/synapse?application_name=syn2mas-synapse&host=%2Fvar%2Frun%2Fpostgresql&port=5432",
			pg: &pg{host: "/var/run/postgresql", port: 5432, user: "synapse", database: "synapse",
				params: map[string]string{"application_name": "syn2mas-synapse"}}},
		{name: "postgres, IPv6", db: Database{Name: "psycopg2", Args: map[string]any{"host": "::1", "port": 5432}},
			driver: "postgres", dsn: "postgres://[::1]:5432/?application_name=syn2mas-synapse"},
		{name: "postgres, IPv6 without port", db: Database{Name: "psycopg2", Args: map[string]any{"host": "::1", "user": "u"}},
			driver: "postgres", pg: &pg{host: "::1", port: 5432, user: "u", params: map[string]string{"application_name": "syn2mas-synapse"}, tls: true}},
		{name: "postgres, password without user", db: Database{Name: "psycopg2", Args: map[string]any{"host": "h", "password": "pw"}},
			driver: "postgres", dsn: "postgres://h/?application_name=syn2mas-synapse&password=pw"},
		{name: "postgres, other libpq parameters", db: Database{Name: "psycopg2", Args: map[string]any{
			"host": "h", "user": "u", "connect_timeout": 10, "options": "-c search_path=synapse", "target_session_attrs": "read-write"}},
			driver: "postgres", pg: &pg{host: "h", port: 5432, user: "u",
				params: map[string]string{"application_name": "syn2mas-synapse", "options": "-c search_path=synapse"}, tls: true}},
		{name: "postgres, nothing set", db: Database{Name: "psycopg2", Args: map[string]any{}},
			driver: "postgres", dsn: "postgres:///?application_name=syn2mas-synapse"},
		{name: "postgres, database and dbname", db: Database{Name: "psycopg2", Args: map[string]any{"database": "a", "dbname": "a"}},
			err: "Only one of `database` and `dbname` may be specified in the Synapse database configuration, not both (they are mutually exclusive)."},
		{name: "postgres, dsn", db: Database{Name: "psycopg2", Args: map[string]any{"dsn": "host=x"}}, err: "database.args.dsn"},
		{name: "postgres, a list", db: Database{Name: "psycopg2", Args: map[string]any{"host": []any{"a"}}},
			err: "database.args.host: expected a string or a number, found a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Database: tc.db}
			driver, dsn, err := c.Source()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if driver != tc.driver {
				t.Errorf("driver = %q, want %q", driver, tc.driver)
			}
			if tc.dsn != "" && dsn != tc.dsn {
				t.Errorf("dsn = %s\n  want %s", dsn, tc.dsn)
			}
			if tc.pg == nil {
				return
			}
			// The URI means to the driver what the arguments meant to libpq.
			cfg, err := pgconn.ParseConfig(dsn)
			if err != nil {
				t.Fatalf("pgx cannot parse %s: %v", dsn, err)
			}
			got := pg{host: cfg.Host, port: cfg.Port, user: cfg.User, password: cfg.Password, database: cfg.Database, params: cfg.RuntimeParams, tls: cfg.TLSConfig != nil}
			if !reflect.DeepEqual(got, *tc.pg) {
				t.Errorf("pgx reads %s as\n %+v\nwant %+v", dsn, got, *tc.pg)
			}
		})
	}
}

func TestSourceIgnoredArgs(t *testing.T) {
	c := &Config{Database: Database{Name: "psycopg2", Args: map[string]any{
		"keepalives_idle": 10, "keepalives_interval": 10, "keepalives_count": 3, "cp_min": 5, "host": "h"}}}
	want := []string{"keepalives_count", "keepalives_idle", "keepalives_interval"}
	if got := c.SourceIgnoredArgs(); !reflect.DeepEqual(got, want) {
		t.Errorf("SourceIgnoredArgs() = %v, want %v", got, want)
	}
	c.Database.Name = "sqlite3"
	if got := c.SourceIgnoredArgs(); got != nil {
		t.Errorf("sqlite3: SourceIgnoredArgs() = %v", got)
	}
}

// A Synapse configuration straight from its documentation loads.
func TestLoadDocumentedPostgresExample(t *testing.T) {
	c := mustLoad(t, `
server_name: "example.com"
database:
  name: psycopg2
  txn_limit: 10000
  args:
    user: synapse_user
    password: secretpassword
    dbname: synapse
    host: localhost
    port: 5432
    cp_min: 5
    cp_max: 10
    keepalives_idle: 10
    keepalives_interval: 10
    keepalives_count: 3
`)
	_, dsn, err := c.Source()
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres://synapse_user:secretpassword@localhost:5432/synapse?application_name=syn2mas-synapse"
	if dsn != want {
		t.Errorf("dsn = %s, want %s", dsn, want)
	}
}
