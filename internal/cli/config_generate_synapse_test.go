package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/passwords"
	"mas/internal/syn2mas/synapseconfig"
	"mas/internal/upstream/claims"
)

// generateFromSynapse runs config generate with the given Synapse files
// and returns the written file's path and the run.
func generateFromSynapse(t *testing.T, synapseFiles ...string) (string, result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "config.yaml")
	args := []string{"config", "generate", "-o", out}
	for _, f := range synapseFiles {
		args = append(args, "--synapse-config", f)
	}
	r := run(t, args...)
	mustSucceed(t, r, "config generate --synapse-config")
	return out, r
}

func providerBySynapseID(t *testing.T, cfg *config.Config, idp string) *config.UpstreamProvider {
	t.Helper()
	for i := range cfg.UpstreamOAuth2.Providers {
		if p := &cfg.UpstreamOAuth2.Providers[i]; p.SynapseIdpID == idp {
			return p
		}
	}
	t.Fatalf("no provider with synapse_idp_id %q", idp)
	return nil
}

// The generated configuration matches the homeserver and passes config
// check, with every provider's templates compiled.
func TestConfigGenerateFromSynapse(t *testing.T) {
	path, r := generateFromSynapse(t, "testdata/synapse/homeserver.yaml", "testdata/synapse/override.yaml")
	if !strings.Contains(r.stderr, "Adjusting the configuration to match the Synapse configuration from testdata/synapse/homeserver.yaml, testdata/synapse/override.yaml") {
		t.Errorf("generate does not say what it read:\n%s", r)
	}
	for _, w := range []string{
		"warning: OIDC provider oidc-keycloak: back-channel logout is enabled",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("standard error lacks %q:\n%s", w, r)
		}
	}

	check := run(t, "config", "check", "--strict", "-c", path)
	mustSucceed(t, check, "config check of the configuration generated from Synapse")
	if !strings.Contains(check.stdout, looksGood) || strings.Contains(check.stdout, "warning") {
		t.Errorf("config check:\n%s", check)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadBack(t, "generated from Synapse", data)
	if cfg.Matrix.Homeserver != "example.com" || cfg.Matrix.Endpoint != "https://matrix.example.com/" {
		t.Errorf("matrix = %+v, want server_name and public_baseurl", cfg.Matrix)
	}
	cost := uint32(10) // override.yaml's bcrypt_rounds
	wantSchemes := []config.HashingScheme{
		{Version: 1, Algorithm: config.AlgorithmBcrypt, Cost: &cost, Secret: "EVEN_MORE_SECRET", UnicodeNormalization: true},
		{Version: 2, Algorithm: config.AlgorithmArgon2id},
	}
	if !cfg.Passwords.Enabled || !reflect.DeepEqual(cfg.Passwords.Schemes, wantSchemes) {
		t.Errorf("passwords = %+v, want %+v", cfg.Passwords, wantSchemes)
	}
	a := cfg.Account
	if !a.PasswordRegistrationEnabled || !a.PasswordRegistrationEmailRequired || a.DisplaynameChangeAllowed || a.EmailChangeAllowed {
		t.Errorf("account = %+v, want registration with email, no display name or email changes", a)
	}
	if c := cfg.Captcha; c.Service != config.CaptchaRecaptchaV2 || c.SiteKey != "6Lc-site-key" || c.SecretKey != "6Lc-secret-key" {
		t.Errorf("captcha = %+v", c)
	}

	var idps []string
	seen := map[string]bool{}
	for _, p := range cfg.UpstreamOAuth2.Providers {
		idps = append(idps, p.SynapseIdpID)
		if _, err := domain.ParseID(p.ID); err != nil || seen[p.ID] {
			t.Errorf("%s: id %q is not a fresh ULID", p.SynapseIdpID, p.ID)
		}
		seen[p.ID] = true
	}
	if want := []string{"oidc", "oidc-apple", "oidc-github", "oidc-google", "oidc-keycloak"}; !reflect.DeepEqual(idps, want) {
		t.Errorf("providers' synapse_idp_id = %q, want %q", idps, want)
	}

	legacy := providerBySynapseID(t, cfg, "oidc")
	if legacy.Issuer != "https://legacy.example.com/" || legacy.TokenEndpointAuthMethod != config.TokenAuthClientSecretBasic ||
		legacy.ClientSecret != "legacy-secret" || legacy.Scope != "openid profile" || legacy.FetchUserinfo {
		t.Errorf("legacy provider = %+v", legacy)
	}
	if ci := legacy.ClaimsImports; ci.Localpart.Action != config.ImportRequire || ci.Localpart.Template != "{{ (user.preferred_username) | lower }}" ||
		ci.Displayname.Action != config.ImportForce || ci.Displayname.Template != "{{ user.given_name }} {{ user.family_name }}" ||
		ci.Email.Action != config.ImportIgnore || ci.Subject.Template != "" {
		t.Errorf("legacy claims_imports = %+v", ci)
	}

	google := providerBySynapseID(t, cfg, "oidc-google")
	if google.HumanName != "Google" || google.BrandName != "google" || google.DiscoveryMode != config.DiscoveryOIDC ||
		google.PKCEMethod != config.PKCEAuto || google.Scope != "openid profile email" {
		t.Errorf("google = %+v", google)
	}
	if ci := google.ClaimsImports; ci.Localpart.Template != "{{ (user.email | split('@') | first) | lower }}" ||
		ci.Email.Action != config.ImportForce || ci.Email.Template != "{{ user.email }}" {
		t.Errorf("google claims_imports = %+v", ci)
	}

	// Discovery off, no openid scope: the userinfo endpoint is where the
	// claims come from, as in Synapse.
	github := providerBySynapseID(t, cfg, "oidc-github")
	if github.DiscoveryMode != config.DiscoveryDisabled || !github.FetchUserinfo ||
		github.AuthorizationEndpoint != "https://github.com/login/oauth/authorize" ||
		github.TokenEndpoint != "https://github.com/login/oauth/access_token" ||
		github.UserinfoEndpoint != "https://api.github.com/user" || github.Scope != "read:user" ||
		github.ClaimsImports.Subject.Template != "{{ user.id }}" {
		t.Errorf("github = %+v", github)
	}

	apple := providerBySynapseID(t, cfg, "oidc-apple")
	wantApple := &config.SignInWithApple{PrivateKeyFile: "testdata/files/apple-key.p8", TeamID: "TEAMIDCODE", KeyID: "KEYIDCODE"}
	if apple.TokenEndpointAuthMethod != config.TokenAuthSignInWithApple || !reflect.DeepEqual(apple.SignInWithApple, wantApple) ||
		apple.ResponseMode != config.ResponseModeFormPost || apple.AuthorizationEndpoint != "https://appleid.apple.com/auth/authorize" {
		t.Errorf("apple = %+v (sign_in_with_apple %+v)", apple, apple.SignInWithApple)
	}
	if ci := apple.ClaimsImports; ci.Localpart.Action != config.ImportSuggest || ci.Email.Action != config.ImportSuggest {
		t.Errorf("apple claims_imports with confirm_localpart = %+v, want suggestions", ci)
	}

	kc := providerBySynapseID(t, cfg, "oidc-keycloak")
	if kc.ClientSecretFile != "testdata/files/upstream-secret" || kc.ClientSecret != "" || kc.TokenEndpointAuthMethod != config.TokenAuthClientSecretBasic ||
		kc.PKCEMethod != config.PKCEAlways || kc.OnBackchannelLogout != config.BackchannelLogoutAll ||
		!reflect.DeepEqual(kc.AdditionalAuthorizationParameters, map[string]string{"acr_values": "2fa"}) ||
		kc.HumanName != "Our Keycloak" {
		t.Errorf("keycloak = %+v", kc)
	}
	if ci := kc.ClaimsImports; ci.Subject.Template != "{{ user['custom:uid'] }}" || ci.Localpart.OnConflict != config.ConflictAdd {
		t.Errorf("keycloak claims_imports (subject_claim custom:uid, allow_existing_users) = %+v", ci)
	}
}

// A password Synapse hashed - bcrypt over NFKC(password) ‖ pepper -
// verifies under the generated scheme 1 and moves to scheme 2.
func TestConfigGenerateSynapsePasswordVerifies(t *testing.T) {
	dir := t.TempDir()
	hs := writeFile(t, dir, "homeserver.yaml", `
server_name: example.com
database: {name: sqlite3, args: {database: /data/homeserver.db}}
bcrypt_rounds: 4
password_config: {pepper: "p\u00e9pper"}
`)
	path, _ := generateFromSynapse(t, hs)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadBack(t, "generated", data)

	// What Synapse stores (synapse/handlers/auth.py): Python's bcrypt
	// writes $2b$.
	const password = "ﬁre\u212bngstr\u00f6m" // a ligature and the Ångström sign: NFKC changes both
	synapseHash := func(password string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(norm.NFKC.String(password)+"p\u00e9pper"), 4)
		if err != nil {
			t.Fatal(err)
		}
		return "$2b$" + strings.TrimPrefix(string(h), "$2a$")
	}
	hash := synapseHash(password)

	var schemes []passwords.Scheme
	for _, s := range cfg.Passwords.Schemes {
		pepper, err := s.Pepper()
		if err != nil {
			t.Fatal(err)
		}
		schemes = append(schemes, passwords.Scheme{
			Version: int(s.Version), Algorithm: string(s.Algorithm), UnicodeNormalization: s.UnicodeNormalization,
			Cost: s.BcryptCost(), Secret: pepper,
			Argon2: &passwords.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, // cheap, for the upgrade
		})
	}
	m, err := passwords.New(schemes, passwords.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The same password typed in another Unicode form verifies too.
	for _, typed := range []string{password, "fire\u00c5ngstr\u00f6m", "fire\u0041\u030angstro\u0308m"} {
		up, err := m.Verify(ctx, 1, hash, typed)
		if err != nil {
			t.Fatalf("%q does not verify against Synapse's hash under scheme 1: %v", typed, err)
		}
		if up == nil || up.Version != 2 {
			t.Errorf("no upgrade to scheme 2: %+v", up)
		}
	}
	if _, err := m.Verify(ctx, 1, hash, "fire"); !errors.Is(err, passwords.ErrMismatch) {
		t.Errorf("a wrong password: %v", err)
	}
	// A hash made without the pepper does not verify: the scheme really
	// uses Synapse's pepper.
	unpeppered, err := bcrypt.GenerateFromPassword([]byte(norm.NFKC.String(password)), 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, 1, string(unpeppered), password); !errors.Is(err, passwords.ErrMismatch) {
		t.Errorf("a hash without the pepper verifies: %v", err)
	}
}

func TestConfigGenerateSynapseErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "homeserver.yaml")
	mustFail(t, run(t, "config", "generate", "--synapse-config", missing), missing, "no such file")

	bad := writeFile(t, t.TempDir(), "homeserver.yaml", "server_name: [\n")
	mustFail(t, run(t, "config", "generate", "--synapse-config", bad), bad, "not valid YAML")

	noServer := writeFile(t, t.TempDir(), "homeserver.yaml", "database: {name: sqlite3}\n")
	mustFail(t, run(t, "config", "generate", "--synapse-config", noServer), noServer, "server_name: required")

	r := run(t, "config", "generate", "--standalone", "--synapse-config", "testdata/synapse/homeserver.yaml")
	mustFail(t, r, "standalone", "synapse-config")
	if r.code != 2 {
		t.Errorf("--standalone with --synapse-config: exit %d, want 2 (usage)", r.code)
	}
}

// The translation of a provider, case by case, and templates that render
// in this service what they rendered in Synapse.
func TestUpstreamProviderFromSynapse(t *testing.T) {
	ids := domain.NewIDGenerator(rand.Reader)
	base := func() synapseconfig.OIDCProvider {
		return synapseconfig.OIDCProvider{
			IdpID: "oidc-x", Enabled: true, IdpName: "OIDC", Issuer: "https://x/", ClientID: "c", ClientSecret: "s",
			ClientAuthMethod: "client_secret_basic", Scopes: []string{"openid"}, Discover: true, PKCEMethod: "auto",
			UserProfileMethod: "auto", EnableRegistration: true, UserMappingModule: synapseconfig.JinjaMappingProvider,
		}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*synapseconfig.OIDCProvider)
		check func(*config.UpstreamProvider) bool
		warn  string // a substring of one warning; "" means none
		drop  bool
	}{
		{"defaults", func(*synapseconfig.OIDCProvider) {}, func(p *config.UpstreamProvider) bool {
			return p.Enabled && p.DiscoveryMode == config.DiscoveryOIDC && !p.FetchUserinfo && p.Scope == "openid" &&
				p.IDTokenSignedResponseAlg == "RS256" && p.ClaimsImports.Localpart.Action == config.ImportIgnore
		}, "", false},
		{"no client_id", func(s *synapseconfig.OIDCProvider) { s.ClientID = "" }, nil, "not carried over", true},
		{"skip_verification", func(s *synapseconfig.OIDCProvider) { s.SkipVerification = true },
			func(p *config.UpstreamProvider) bool { return p.DiscoveryMode == config.DiscoveryInsecure }, "", false},
		{"userinfo_endpoint", func(s *synapseconfig.OIDCProvider) { s.UserProfileMethod = "userinfo_endpoint" },
			func(p *config.UpstreamProvider) bool { return p.FetchUserinfo }, "", false},
		{"bad pkce", func(s *synapseconfig.OIDCProvider) { s.PKCEMethod = "sometimes" },
			func(p *config.UpstreamProvider) bool { return p.PKCEMethod == config.PKCEAuto }, "pkce_method", false},
		{"bad scope", func(s *synapseconfig.OIDCProvider) { s.Scopes = []string{"openid", "two words"} },
			func(p *config.UpstreamProvider) bool { return p.Scope == "openid" }, "not a valid scope token", false},
		{"one id token alg", func(s *synapseconfig.OIDCProvider) { s.IDTokenSigningAlgValuesSupported = []string{"ES256"} },
			func(p *config.UpstreamProvider) bool { return p.IDTokenSignedResponseAlg == "ES256" }, "", false},
		{"several id token algs", func(s *synapseconfig.OIDCProvider) { s.IDTokenSigningAlgValuesSupported = []string{"ES256", "PS256"} },
			func(p *config.UpstreamProvider) bool { return p.IDTokenSignedResponseAlg == "ES256" }, "only ES256 is accepted", false},
		{"response_mode parameter", func(s *synapseconfig.OIDCProvider) {
			s.AdditionalAuthorizationParameters = map[string]string{"response_mode": "form_post", "prompt": "login"}
		}, func(p *config.UpstreamProvider) bool {
			return p.ResponseMode == config.ResponseModeFormPost && reflect.DeepEqual(p.AdditionalAuthorizationParameters, map[string]string{"prompt": "login"})
		}, "", false},
		{"templated parameter", func(s *synapseconfig.OIDCProvider) {
			s.AdditionalAuthorizationParameters = map[string]string{"x": "{{ literal }}"}
		}, func(p *config.UpstreamProvider) bool { return p.AdditionalAuthorizationParameters == nil }, "looks like a template", false},
		{"non-Apple JWT key", func(s *synapseconfig.OIDCProvider) {
			s.ClientSecretJWTKey = &synapseconfig.JWTKey{Key: "k", Header: map[string]string{"alg": "RS256"}}
		}, func(p *config.UpstreamProvider) bool { return p.SignInWithApple == nil }, "client_secret_jwt_key", false},
		{"disabled legacy", func(s *synapseconfig.OIDCProvider) { s.Enabled = false },
			func(p *config.UpstreamProvider) bool { return !p.Enabled }, "not enabled", false},
		{"custom mapping module", func(s *synapseconfig.OIDCProvider) {
			s.UserMappingModule = "my.Mapper"
			s.UserMapping = map[string]any{"localpart_template": "{{ user.x }}"}
		}, func(p *config.UpstreamProvider) bool { return p.ClaimsImports.Localpart.Template == "" }, "my.Mapper", false},
		{"subject_template wins", func(s *synapseconfig.OIDCProvider) {
			s.UserMapping = map[string]any{"subject_claim": "id", "subject_template": "{{ user.a }}-{{ user.b }}"}
		}, func(p *config.UpstreamProvider) bool {
			return p.ClaimsImports.Subject.Template == "{{ user.a }}-{{ user.b }}"
		},
			"both subject_claim and subject_template", false},
		{"subject_claim sub is the default", func(s *synapseconfig.OIDCProvider) { s.UserMapping = map[string]any{"subject_claim": "sub"} },
			func(p *config.UpstreamProvider) bool { return p.ClaimsImports.Subject.Template == "" }, "", false},
		{"allow_existing_users with confirm_localpart", func(s *synapseconfig.OIDCProvider) {
			s.AllowExistingUsers = true
			s.UserMapping = map[string]any{"localpart_template": "{{ user.x }}", "confirm_localpart": true}
		}, func(p *config.UpstreamProvider) bool {
			return p.ClaimsImports.Localpart.OnConflict == config.ConflictFail
		},
			"allow_existing_users", false},
		{"unsupported options", func(s *synapseconfig.OIDCProvider) { s.HasAttributeRequirements = true },
			func(*config.UpstreamProvider) bool { return true }, "attribute_requirements", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := base()
			tc.edit(&sp)
			p, warnings, ok := upstreamProvider(&sp, ids)
			if ok == tc.drop {
				t.Fatalf("ok = %v, warnings %q", ok, warnings)
			}
			joined := strings.Join(warnings, "\n")
			if (tc.warn == "") != (joined == "") || !strings.Contains(joined, tc.warn) {
				t.Errorf("warnings %q, want one with %q", warnings, tc.warn)
			}
			if ok && !tc.check(&p) {
				t.Errorf("got %+v", p)
			}
		})
	}
}

// Translated templates render in this service what Synapse rendered.
func TestSynapseTemplatesRender(t *testing.T) {
	user := map[string]any{"sub": "42", "preferred_username": "Alice", "email": "Alice.Smith@example.com", "name": "Alice S"}
	for _, tc := range []struct{ synapse, want string }{
		{"{{ user.preferred_username }}", "alice"},
		{"{{ user.email|localpart_from_email }}", "alice.smith"},
		{"{{ user.email | localpart_from_email | lower }}", "alice.smith"},
		{"{{ user.preferred_username }}_{{ user.sub }}", "Alice_42"}, // left alone
		{"{{ user.name if user.name else user.sub }}", "Alice S"},    // left alone
	} {
		tpl := lowercaseLocalpart(translateTemplate(tc.synapse))
		m, err := claims.Compile(claims.Options{ProviderID: "p", Localpart: claims.LocalpartOptions{Action: claims.ActionRequire, Template: tpl}})
		if err != nil {
			t.Errorf("%s → %s does not compile: %v", tc.synapse, tpl, err)
			continue
		}
		res, err := m.Evaluate(user)
		if err != nil {
			t.Errorf("%s → %s: %v", tc.synapse, tpl, err)
			continue
		}
		if res.Localpart.Value != tc.want {
			t.Errorf("%s → %s renders %q, want %q", tc.synapse, tpl, res.Localpart.Value, tc.want)
		}
	}
}
