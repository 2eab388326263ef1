package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSecretAccessors(t *testing.T) {
	c, err := Load([]string{"testdata/full.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Text secrets from files are trimmed.
	if got := str(c.Matrix.SecretValue()); got != "matrix-shared-secret-from-file" {
		t.Errorf("matrix secret = %q", got)
	}
	if got := str(c.Email.PasswordValue()); got != "smtp-password" {
		t.Errorf("smtp password = %q", got)
	}
	if got := str(c.Clients[1].SecretValue()); got != "s3cret" {
		t.Errorf("inline client secret = %q", got)
	}
	if got := str(c.Clients[2].SecretValue()); got != "static-client-secret" {
		t.Errorf("client secret file = %q", got)
	}
	if got := str(c.Clients[0].SecretValue()); got != "" {
		t.Errorf("public client secret = %q", got)
	}
	if got := str(c.UpstreamOAuth2.Providers[0].ClientSecretValue()); got != "upstream-inline" {
		t.Errorf("provider secret = %q", got)
	}
	if got := str(c.HTTP.Listeners[0].TLS.PasswordValue("http.listeners[0].tls")); got != "tls-key-password" {
		t.Errorf("tls password = %q", got)
	}
	// Peppers are used byte for byte.
	pepper, err := c.Passwords.Schemes[0].Pepper()
	if err != nil || string(pepper) != "pepper-bytes\n" {
		t.Errorf("file pepper = %q, %v", pepper, err)
	}
	pepper, err = c.Passwords.Schemes[1].Pepper()
	if err != nil || string(pepper) != "inline-pepper" {
		t.Errorf("inline pepper = %q, %v", pepper, err)
	}
	if pepper, err := c.Passwords.Schemes[2].Pepper(); err != nil || pepper != nil {
		t.Errorf("no pepper = %q, %v", pepper, err)
	}
	cert, err := c.HTTP.Listeners[0].TLS.CertificateBytes("http.listeners[0].tls")
	if err != nil || !strings.Contains(string(cert), "BEGIN CERTIFICATE") {
		t.Errorf("tls certificate: %v", err)
	}
	key, err := c.HTTP.Listeners[1].TLS.KeyBytes("http.listeners[1].tls")
	if err != nil || !strings.Contains(string(key), "inline private key") {
		t.Errorf("inline tls key: %q %v", key, err)
	}
	enc, err := c.Secrets.EncryptionKey()
	if err != nil || enc[1] != 0x00 || enc[2] != 0x11 || enc[31] != 0xff {
		t.Errorf("encryption key = %x, %v", enc, err)
	}
}

func TestSigningKeys(t *testing.T) {
	c, err := Load([]string{"testdata/full.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.Secrets.SigningKeys()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.Kid+"|"+k.Source+"|"+string(k.Password))
	}
	want := []string{
		"|testdata/files/keys/p384.pem|",
		"inline-ec|secrets.keys[0].key|",
		"|secrets.keys[1].key_file (testdata/files/signing-p256.pem)|",
		"encrypted|secrets.keys[2].key_file (testdata/files/signing-encrypted.pem)|hunter2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, k := range keys {
		if !strings.Contains(string(k.Key), "PRIVATE KEY") {
			t.Errorf("%s: key material %q", k.Source, k.Key)
		}
	}
}

func TestAccessorErrorsNamePaths(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		call func(c *Config) error
		want string
	}{
		{"matrix", func(c *Config) error {
			c.Matrix.Secret, c.Matrix.SecretFile = "", missing
			_, err := c.Matrix.SecretValue()
			return err
		}, "matrix.secret_file: cannot read"},
		{"matrix missing", func(c *Config) error {
			c.Matrix.Secret = ""
			_, err := c.Matrix.SecretValue()
			return err
		}, "matrix: Missing `secret` or `secret_file`"},
		{"encryption", func(c *Config) error {
			c.Secrets.Encryption, c.Secrets.EncryptionFile = "", missing
			_, err := c.Secrets.EncryptionKey()
			return err
		}, "secrets.encryption_file: cannot read"},
		{"encryption content", func(c *Config) error {
			c.Secrets.Encryption = "abc"
			_, err := c.Secrets.EncryptionKey()
			return err
		}, "secrets.encryption: must be 64 hexadecimal characters"},
		{"signing key", func(c *Config) error {
			c.Secrets.Keys = []KeyConfig{{Key: "x"}, {KeyFile: missing}}
			_, err := c.Secrets.SigningKeys()
			return err
		}, "secrets.keys[1].key_file: cannot read"},
		{"key both", func(c *Config) error {
			_, err := KeyConfig{Key: "x", KeyFile: "y"}.KeyBytes()
			return err
		}, "secrets.keys: Cannot specify both `key` and `key_file`"},
		{"key password", func(c *Config) error {
			_, err := KeyConfig{Key: "x", PasswordFile: missing}.PasswordBytes()
			return err
		}, "secrets.keys.password_file: cannot read"},
		{"keys dir", func(c *Config) error {
			c.Secrets.KeysDir = missing
			_, err := c.Secrets.SigningKeys()
			return err
		}, "secrets.keys_dir: cannot read"},
		{"pepper", func(c *Config) error {
			_, err := HashingScheme{SecretFile: missing}.Pepper()
			return err
		}, "passwords.schemes.secret_file: cannot read"},
		{"email", func(c *Config) error {
			c.Email.PasswordFile = missing
			_, err := c.Email.PasswordValue()
			return err
		}, "email.password_file: cannot read"},
		{"client", func(c *Config) error {
			_, err := (&ClientConfig{ClientID: "01GFWR28C4KNE04WG3HKXB7C9R", ClientSecretFile: missing}).SecretValue()
			return err
		}, "clients[01GFWR28C4KNE04WG3HKXB7C9R].client_secret_file: cannot read"},
		{"provider", func(c *Config) error {
			_, err := (&UpstreamProvider{ID: "01HFVBY12TMNTYTBV8W921M5FA", ClientSecretFile: missing}).ClientSecretValue()
			return err
		}, "upstream_oauth2.providers[01HFVBY12TMNTYTBV8W921M5FA].client_secret_file: cannot read"},
		{"tls", func(c *Config) error {
			_, err := (&TLSConfig{CertificateFile: missing}).CertificateBytes("http.listeners[2].tls")
			return err
		}, "http.listeners[2].tls.certificate_file: cannot read"},
		{"apple", func(c *Config) error {
			_, err := (&SignInWithApple{}).PrivateKeyPEM()
			return err
		}, "sign_in_with_apple: Missing `private_key` or `private_key_file`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(mustLoad(t, minimal))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestTrustedProxyPrefixes(t *testing.T) {
	c := mustLoad(t, minimal)
	ps, err := c.HTTP.TrustedProxyPrefixes()
	if err != nil || len(ps) != 6 || ps[2].String() != "10.0.0.0/10" || ps[3].Bits() != 8 {
		t.Errorf("prefixes = %v, %v", ps, err)
	}
	c.HTTP.TrustedProxies = []string{"192.0.2.7", "bad"}
	if _, err := c.HTTP.TrustedProxyPrefixes(); err == nil || !strings.Contains(err.Error(), "http.trusted_proxies[1]") {
		t.Errorf("err = %v", err)
	}
}

func TestSMTPPortDefaults(t *testing.T) {
	for mode, want := range map[SMTPMode]uint16{SMTPPlain: 25, SMTPStartTLS: 587, SMTPTLS: 465} {
		e := EmailConfig{Mode: mode}
		if got := e.SMTPPort(); got != want {
			t.Errorf("%s: port %d, want %d", mode, got, want)
		}
	}
	if got := (&EmailConfig{Mode: SMTPTLS, Port: 2465}).SMTPPort(); got != 2465 {
		t.Errorf("explicit port = %d", got)
	}
}

func TestMarshalOmitsDefaultsButKeepsChoices(t *testing.T) {
	c := mustLoad(t, minimal+`
upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      enabled: false
      issuer: https://id.example.com/
      client_id: "0123"
      client_secret: ".inf"
      token_endpoint_auth_method: client_secret_basic
clients:
  - client_id: 01GFWR28C4KNE04WG3HKXB7C9R
    client_auth_method: none
    client_name: "yes: it's \"quoted\"\t#1"
passwords:
  enabled: false
rate_limiting:
  registration:
    burst: 1
    per_second: 0.00001
`)
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"enabled: false", "client_id: '0123'", "per_second: 0.00001", "rate_limiting:", "upstream_oauth2:"} {
		if !strings.Contains(s, want) {
			t.Errorf("dump lacks %q:\n%s", want, s)
		}
	}
	for _, unwanted := range []string{"scope:", "discovery_mode:", "claims_imports:", "pkce_method:", "policy:", "account:", "login:"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("dump has default %q:\n%s", unwanted, s)
		}
	}
	back, err := LoadBytes("dump.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	if !reflect.DeepEqual(c, back) {
		t.Errorf("round trip changed the config:\n%s", s)
	}
}

func TestMarshalRoundTripsEdgeCases(t *testing.T) {
	for name, input := range map[string]string{
		"http without listeners": "http: {public_base: 'https://a.example/'}",
		"empty lists":            "http: {public_base: 'https://a.example/', listeners: [], trusted_proxies: []}\ntelemetry: {tracing: {propagators: []}}",
		"database keys":          "database: {host: db, port: 5432}",
		"idle timeout disabled":  "database: {idle_timeout: ~}",
		"empty parameters":       "upstream_oauth2: {providers: [{id: 01HFVBY12TMNTYTBV8W921M5FA, issuer: 'https://a/', client_id: c, token_endpoint_auth_method: none, additional_authorization_parameters: {}}]}",
		"policy data list":       "policy: {data: [1, two, {three: 3.5}]}",
		"fd bind":                "http: {public_base: 'https://a.example/', listeners: [{resources: [{name: assets}], binds: [{}]}]}",
	} {
		t.Run(name, func(t *testing.T) {
			c := mustLoad(t, minimal+input+"\n")
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := LoadBytes("dump.yaml", out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !reflect.DeepEqual(c, back) {
				t.Errorf("round trip changed the config:\n%s\n%#v\n%#v", out, c, back)
			}
		})
	}
}
