package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestProblemsFormat(t *testing.T) {
	ps := Problems{
		{Path: "secrets.encryption", Message: "must be 64 hexadecimal characters (32 bytes)"},
		{Path: "http.listeners[0].resourcez", Message: "unknown key", File: "config.yaml", Line: 12},
		{File: "other.yaml", Message: "cannot read configuration file"},
	}
	want := "secrets.encryption: must be 64 hexadecimal characters (32 bytes)\n" +
		"config.yaml:12: http.listeners[0].resourcez: unknown key\n" +
		"other.yaml: cannot read configuration file"
	if ps.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", ps.Error(), want)
	}
}

func TestValidateEncryption(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	writeFile(t, good, strings.Repeat("ab", 32)+"\n")
	short := filepath.Join(dir, "short")
	writeFile(t, short, "abcd")
	tests := []struct {
		name, secrets, path, msg string
	}{
		{"too short", "encryption: abcdef", "secrets.encryption", "must be 64 hexadecimal characters (32 bytes), found 6 characters"},
		{"too long", "encryption: " + strings.Repeat("a", 66), "secrets.encryption", "must be 64 hexadecimal characters"},
		{"not hex", "encryption: " + strings.Repeat("zz", 32), "secrets.encryption", "must be 64 hexadecimal characters (32 bytes): encoding/hex: invalid byte"},
		{"both", "encryption: " + strings.Repeat("ab", 32) + "\n  encryption_file: " + good, "secrets", "Cannot specify both `encryption` and `encryption_file`"},
		{"neither", "keys_dir: " + dir, "secrets", "Missing `encryption` or `encryption_file`"},
		{"file content", "encryption_file: " + short, "secrets.encryption_file", "must be 64 hexadecimal characters"},
		{"unreadable file", "encryption_file: " + filepath.Join(dir, "missing"), "secrets.encryption_file", "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, "matrix: {secret: x}\nsecrets:\n  "+tt.secrets+"\n")
			wantProblem(t, c.Validate(), tt.path, tt.msg)
		})
	}
	c := mustLoad(t, "matrix: {secret: x}\nsecrets:\n  encryption_file: "+good+"\n")
	if err := c.Validate(); err != nil {
		t.Errorf("file with trailing newline: %v", err)
	}
	key, err := c.Secrets.EncryptionKey()
	if err != nil || key[0] != 0xab || key[31] != 0xab {
		t.Errorf("EncryptionKey = %x, %v", key, err)
	}
}

func TestValidateSecretPairs(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "secret")
	writeFile(t, f, "from-file\n")
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name, yaml, path, msg string
	}{
		{"matrix both", "matrix: {secret: a, secret_file: " + f + "}", "matrix", "Cannot specify both `secret` and `secret_file`"},
		{"matrix unreadable", "matrix: {secret: ~, secret_file: " + missing + "}", "matrix.secret_file", `cannot read "` + missing + `": no such file or directory`},
		{"matrix directory", "matrix: {secret: ~, secret_file: " + dir + "}", "matrix.secret_file", "is a directory"},
		{"key both", "secrets: {keys: [{key: x, key_file: " + f + "}]}", "secrets.keys[0]", "Cannot specify both `key` and `key_file`"},
		{"key neither", "secrets: {keys: [{kid: a}]}", "secrets.keys[0]", "Missing `key` or `key_file`"},
		{"key password both", "secrets: {keys: [{key: x, password: y, password_file: " + f + "}]}", "secrets.keys[0]", "Cannot specify both `password` and `password_file`"},
		{"key file unreadable", "secrets: {keys: [{key_file: " + missing + "}]}", "secrets.keys[0].key_file", "cannot read"},
		{"duplicate kid", "secrets: {keys: [{kid: a, key: x}, {kid: a, key: y}]}", "secrets.keys[1].kid", "duplicate key ID"},
		{"keys_dir missing", "secrets: {keys_dir: " + missing + "}", "secrets.keys_dir", "cannot read directory"},
		{"keys_dir is file", "secrets: {keys_dir: " + f + "}", "secrets.keys_dir", "is not a directory"},
		{"pepper both", "passwords: {schemes: [{version: 1, algorithm: bcrypt, secret: a, secret_file: " + f + "}]}", "passwords.schemes[0]", "Cannot specify both `secret` and `secret_file`"},
		{"pepper unreadable", "passwords: {schemes: [{version: 1, algorithm: bcrypt, secret_file: " + missing + "}]}", "passwords.schemes[0].secret_file", "cannot read"},
		{"smtp password both", "email: {transport: smtp, mode: tls, hostname: h, username: u, password: p, password_file: " + f + "}", "email", "Cannot specify both `password` and `password_file`"},
		{"db password unreadable", "database: {username: u, password_file: " + missing + "}", "database.password_file", "cannot read"},
		{"db ca unreadable", "database: {ssl_ca_file: " + missing + "}", "database.ssl_ca_file", "cannot read"},
		{"client secret unreadable", "clients: [{client_id: 01GFWR28C4KNE04WG3HKXB7C9R, client_auth_method: client_secret_post, client_secret_file: " + missing + "}]", "clients[0].client_secret_file", "cannot read"},
		{"tls key unreadable", "http: {public_base: 'https://a/', listeners: [{resources: [{name: human}], binds: [{port: 1}], tls: {certificate: c, key_file: " + missing + "}}]}", "http.listeners[0].tls.key_file", "cannot read"},
		{"apple key unreadable", "upstream_oauth2: {providers: [{id: 01HFVBY12TMNTYTBV8W921M5FA, issuer: 'https://a/', client_id: c, token_endpoint_auth_method: sign_in_with_apple, sign_in_with_apple: {private_key_file: " + missing + ", team_id: t, key_id: k}}]}", "upstream_oauth2.providers[0].sign_in_with_apple.private_key_file", "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, validateYAML(t, tt.yaml), tt.path, tt.msg)
		})
	}
}

func TestValidateRules(t *testing.T) {
	provider := func(extra string) string {
		return "upstream_oauth2:\n  providers:\n    - id: 01HFVBY12TMNTYTBV8W921M5FA\n      issuer: https://id.example.com/\n      client_id: c\n" + extra
	}
	client := func(extra string) string {
		return "clients:\n  - client_id: 01GFWR28C4KNE04WG3HKXB7C9R\n" + extra
	}
	listener := func(extra string) string {
		return "http:\n  public_base: https://a.example/\n  listeners:\n    - name: l\n" + extra
	}
	tests := []struct {
		name, yaml, path, msg string
	}{
		// http
		{"public_base relative", "http: {public_base: /auth}", "http.public_base", "must be absolute"},
		{"issuer invalid", "http: {public_base: 'https://a/', issuer: 'https://exa mple.com'}", "http.issuer", "invalid URL"},
		{"trusted proxy", "http: {public_base: 'https://a/', trusted_proxies: [10.0.0.0/33, nope]}", "http.trusted_proxies[0]", "invalid IP range"},
		{"trusted proxy address", "http: {public_base: 'https://a/', trusted_proxies: [nope]}", "http.trusted_proxies[0]", "invalid IP address or range"},
		{"no binds", listener("      resources: [{name: human}]\n      binds: []\n"), "http.listeners[0].binds", "listener does not bind to any address"},
		{"no resources", listener("      resources: []\n      binds: [{port: 1}]\n"), "http.listeners[0].resources", "listener has no resources"},
		{"bad address", listener("      resources: [{name: human}]\n      binds: [{address: localhost}]\n"), "http.listeners[0].binds[0].address", "expected host:port"},
		{"bad mode", listener("      resources: [{name: human}]\n      binds: [{socket: /s, mode: rw}]\n"), "http.listeners[0].binds[0].mode", "octal"},
		{"tls without cert", listener("      resources: [{name: human}]\n      binds: [{port: 1}]\n      tls: {key: k}\n"), "http.listeners[0].tls", "missing a certificate"},
		{"tls without key", listener("      resources: [{name: human}]\n      binds: [{port: 1}]\n      tls: {certificate: c}\n"), "http.listeners[0].tls", "missing a private key"},
		{"tls two certs", listener("      resources: [{name: human}]\n      binds: [{port: 1}]\n      tls: {certificate: c, certificate_file: /etc/hostname, key: k}\n"), "http.listeners[0].tls", "Cannot specify both `certificate` and `certificate_file`"},
		// database
		{"uri and keys", "database: {uri: 'postgresql://x', host: db}", "database", "`uri` must not be specified together"},
		{"db password both", "database: {password: a, password_file: /etc/hostname}", "database", "Cannot specify both `password` and `password_file`"},
		{"db ssl pair", "database: {ssl_certificate: c}", "database", "`ssl_certificate` and `ssl_key` must be given together"},
		{"db bad scheme", "database: {uri: 'mysql://x'}", "database.uri", `unsupported database URI scheme "mysql"`},
		{"db sqlite empty", "database: {uri: 'sqlite:'}", "database.uri", "missing the database file path"},
		{"db sqlite query", "database: {uri: 'sqlite:mas.db?mode=ro'}", "database.uri", "query parameters"},
		{"db sqlite with ssl", "database: {uri: 'sqlite:mas.db', ssl_mode: require}", "database", "apply to PostgreSQL only"},
		{"db max connections", "database: {max_connections: 0}", "database.max_connections", "at least 1"},
		// passwords
		{"no schemes", "passwords: {schemes: []}", "passwords.schemes", "Requires at least one password scheme"},
		{"duplicate versions", "passwords: {schemes: [{version: 1, algorithm: bcrypt}, {version: 1, algorithm: argon2id}]}", "passwords.schemes[1].version", "Multiple password schemes have the same versions"},
		{"bcrypt cost", "passwords: {schemes: [{version: 1, algorithm: bcrypt, cost: 3}]}", "passwords.schemes[0].cost", "between 4 and 31"},
		{"bcrypt cost high", "passwords: {schemes: [{version: 1, algorithm: bcrypt, cost: 32}]}", "passwords.schemes[0].cost", "between 4 and 31"},
		// matrix
		{"matrix endpoint", "matrix: {endpoint: 'localhost:8008'}", "matrix.endpoint", "must be an http or https URL"},
		{"matrix homeserver", "matrix: {homeserver: ''}", "matrix.homeserver", "required"},
		// email
		{"smtp mode", "email: {transport: smtp, hostname: h}", "email.mode", "required for the smtp transport"},
		{"smtp hostname", "email: {transport: smtp, mode: plain}", "email.hostname", "required for the smtp transport"},
		{"smtp password", "email: {transport: smtp, mode: plain, hostname: h, username: u}", "email.password", "required when `username` is set"},
		{"smtp username", "email: {transport: smtp, mode: plain, hostname: h, password: p}", "email.username", "required when a password is set"},
		{"smtp command", "email: {transport: smtp, mode: plain, hostname: h, command: x}", "email.command", "only applies to the sendmail transport"},
		{"sendmail hostname", "email: {transport: sendmail, hostname: h}", "email.hostname", "only applies to the smtp transport"},
		{"bad from", "email: {transport: blackhole, from: 'not an address'}", "email.from", "invalid email address"},
		// clients
		{"client id", "clients: [{client_id: nope, client_auth_method: none}]", "clients[0].client_id", "invalid ULID"},
		{"client id dup", "clients: [{client_id: 01GFWR28C4KNE04WG3HKXB7C9R, client_auth_method: none}, {client_id: 01GFWR28C4KNE04WG3HKXB7C9R, client_auth_method: none}]", "clients[1].client_id", "duplicate client_id"},
		{"client secret missing", client("    client_auth_method: client_secret_basic\n"), "clients[0].client_auth_method", "client_secret (or client_secret_file) is required for client_secret_basic"},
		{"client secret with none", client("    client_auth_method: none\n    client_secret: s\n"), "clients[0].client_secret", "not allowed with none"},
		{"client jwks missing", client("    client_auth_method: private_key_jwt\n"), "clients[0].client_auth_method", "jwks or jwks_uri is required"},
		{"client jwks both", client("    client_auth_method: private_key_jwt\n    jwks_uri: https://a/j\n    jwks: {keys: []}\n"), "clients[0].jwks", "mutually exclusive"},
		{"client jwks with secret method", client("    client_auth_method: client_secret_post\n    client_secret: s\n    jwks_uri: https://a/j\n"), "clients[0].jwks_uri", "not allowed with client_secret_post"},
		{"client redirect", client("    client_auth_method: none\n    redirect_uris: [/callback]\n"), "clients[0].redirect_uris[0]", "must be absolute"},
		{"client jwk kty", client("    client_auth_method: private_key_jwt\n    jwks: {keys: [{kty: oct, k: abc}]}\n"), "clients[0].jwks.keys[0].kty", "expected one of: RSA, EC, OKP"},
		{"client jwk params", client("    client_auth_method: private_key_jwt\n    jwks: {keys: [{kty: EC, crv: P-999, x: a}]}\n"), "clients[0].jwks.keys[0].y", "required for EC keys"},
		{"client jwk curve", client("    client_auth_method: private_key_jwt\n    jwks: {keys: [{kty: EC, crv: P-999, x: a, y: b}]}\n"), "clients[0].jwks.keys[0].crv", "unknown curve"},
		{"client jwks keys required", client("    client_auth_method: private_key_jwt\n    jwks: {}\n"), "", ""},
		// upstream providers
		{"provider id", "upstream_oauth2: {providers: [{id: x, issuer: 'https://a/', client_id: c, token_endpoint_auth_method: none}]}", "upstream_oauth2.providers[0].id", "invalid ULID"},
		{"provider id dup", provider("      token_endpoint_auth_method: none\n    - id: 01HFVBY12TMNTYTBV8W921M5FA\n      issuer: https://b/\n      client_id: d\n      token_endpoint_auth_method: none\n"), "upstream_oauth2.providers[1].id", "duplicate provider id"},
		{"provider issuer", "upstream_oauth2: {providers: [{id: 01HFVBY12TMNTYTBV8W921M5FA, client_id: c, token_endpoint_auth_method: none}]}", "upstream_oauth2.providers[0].issuer", "The `issuer` field is required when discovery is enabled"},
		{"provider secret missing", provider("      token_endpoint_auth_method: client_secret_basic\n"), "upstream_oauth2.providers[0].client_secret", "required (or client_secret_file) for the client_secret_basic method"},
		{"provider secret unexpected", provider("      token_endpoint_auth_method: private_key_jwt\n      token_endpoint_auth_signing_alg: RS256\n      client_secret: s\n"), "upstream_oauth2.providers[0].client_secret", "Unexpected field `client_secret`"},
		{"provider alg missing", provider("      token_endpoint_auth_method: client_secret_jwt\n      client_secret: s\n"), "upstream_oauth2.providers[0].token_endpoint_auth_signing_alg", "required for the client_secret_jwt method"},
		{"provider apple missing", provider("      token_endpoint_auth_method: sign_in_with_apple\n"), "upstream_oauth2.providers[0].sign_in_with_apple", "required for the sign_in_with_apple method"},
		{"provider apple unexpected", provider("      token_endpoint_auth_method: none\n      sign_in_with_apple: {private_key: k, team_id: t, key_id: k}\n"), "upstream_oauth2.providers[0].sign_in_with_apple", "Unexpected field `sign_in_with_apple`"},
		{"provider apple key", provider("      token_endpoint_auth_method: sign_in_with_apple\n      sign_in_with_apple: {team_id: t, key_id: k}\n"), "upstream_oauth2.providers[0].sign_in_with_apple", "Missing `private_key` or `private_key_file`"},
		{"provider endpoint", provider("      token_endpoint_auth_method: none\n      token_endpoint: /token\n"), "upstream_oauth2.providers[0].token_endpoint", "must be absolute"},
		{"on_conflict needs force", provider("      token_endpoint_auth_method: none\n      claims_imports: {localpart: {action: suggest, on_conflict: add}}\n"), "upstream_oauth2.providers[0].claims_imports.localpart.on_conflict", "`add` requires localpart.action to be `force` or `require`"},
		{"skip_confirmation localpart", provider("      token_endpoint_auth_method: none\n      claims_imports: {skip_confirmation: true, localpart: {action: force}}\n"), "upstream_oauth2.providers[0].claims_imports.skip_confirmation", "requires localpart.action to be `require`"},
		{"skip_confirmation suggest", provider("      token_endpoint_auth_method: none\n      claims_imports: {skip_confirmation: true, localpart: {action: require}, email: {action: suggest}}\n"), "upstream_oauth2.providers[0].claims_imports.skip_confirmation", "requires email.action"},
		// others
		{"captcha keys", "captcha: {service: recaptcha_v2}", "captcha.site_key", "required when a CAPTCHA service is set"},
		{"captcha secret", "captcha: {service: hcaptcha, site_key: k}", "captcha.secret_key", "required"},
		{"branding tos", "branding: {tos_uri: 'example.com/tos'}", "branding.tos_uri", "must be absolute"},
		{"session limit order", "experimental: {session_limit: {soft_limit: 5, hard_limit: 4}}", "experimental.session_limit.hard_limit", "greater than or equal to soft_limit"},
		{"session limit eviction", "experimental: {session_limit: {soft_limit: 1, hard_limit: 1, dangerous_hard_limit_eviction: true}}", "experimental.session_limit.hard_limit", "at least 2"},
		{"session limit soft", "experimental: {session_limit: {soft_limit: 0, hard_limit: 1}}", "experimental.session_limit.soft_limit", "at least 1"},
		{"rate burst", "rate_limiting: {login: {per_ip: {burst: 0, per_second: 1}}}", "rate_limiting.login.per_ip.burst", "at least 1"},
		{"rate per second", "rate_limiting: {registration: {burst: 1, per_second: 0}}", "rate_limiting.registration.per_second", "positive"},
		{"sample rate", "telemetry: {tracing: {sample_rate: 1.5}}", "telemetry.tracing.sample_rate", "between 0 and 1"},
		{"sentry dsn", "telemetry: {sentry: {dsn: nope}}", "telemetry.sentry.dsn", "must be absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path == "" {
				// Shape errors are Load's business; see TestLoadRequired.
				return
			}
			wantProblem(t, validateYAML(t, tt.yaml), tt.path, tt.msg)
		})
	}
}

func TestLoadRequired(t *testing.T) {
	_, err := LoadBytes("test.yaml", []byte(minimal+`
clients:
  - client_auth_method: private_key_jwt
    jwks: {}
upstream_oauth2:
  providers:
    - issuer: https://a/
experimental:
  inactive_session_expiration: {}
  session_limit: {soft_limit: 1}
passwords:
  schemes: [{}]
rate_limiting:
  registration: {burst: 1}
`))
	for _, path := range []string{
		"clients[0].client_id",
		"clients[0].jwks.keys",
		"upstream_oauth2.providers[0].id",
		"upstream_oauth2.providers[0].client_id",
		"upstream_oauth2.providers[0].token_endpoint_auth_method",
		"experimental.inactive_session_expiration.ttl",
		"experimental.session_limit.hard_limit",
		"passwords.schemes[0].version",
		"passwords.schemes[0].algorithm",
		"rate_limiting.registration.per_second",
	} {
		wantProblem(t, err, path, "missing required key")
	}
	_, err = LoadBytes("test.yaml", []byte(minimal+"upstream_oauth2: {}\n"))
	wantProblem(t, err, "upstream_oauth2.providers", "missing required key")
}

// TestValidateCollectsEverything checks that one run reports problems from
// several sections at once.
func TestValidateCollectsEverything(t *testing.T) {
	c := mustLoad(t, `
secrets:
  encryption: nothex
matrix:
  secret: a
  secret_file: /nonexistent
http:
  public_base: nope
captcha:
  service: hcaptcha
`)
	ps := problemsOf(t, c.Validate())
	if len(ps) < 4 {
		t.Errorf("want at least 4 problems, got:\n%v", Problems(ps))
	}
}

func TestValidateProgrammaticEnums(t *testing.T) {
	c := mustLoad(t, minimal)
	c.Email.Transport = "pigeon"
	c.HTTP.Listeners[0].Resources[0].Name = "nope"
	err := c.Validate()
	wantProblem(t, err, "email.transport", `unknown value "pigeon"`)
	wantProblem(t, err, "http.listeners[0].resources[0].name", `unknown value "nope"`)
}
