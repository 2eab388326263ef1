package config

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLiteURIs(t *testing.T) {
	tests := []struct {
		uri, path, problem string
	}{
		{"sqlite:mas.db", "mas.db", ""},
		{"sqlite://mas.db", "mas.db", ""},
		{"sqlite://data/mas.db", "data/mas.db", ""},
		{"sqlite:///var/lib/mas/mas.db", "/var/lib/mas/mas.db", ""},
		{"sqlite:/var/lib/mas/mas.db", "/var/lib/mas/mas.db", ""},
		{"sqlite::memory:", ":memory:", ""},
		{"sqlite://:memory:", ":memory:", ""},
		{"SQLite:mas.db", "mas.db", ""},
		{"sqlite:my db.sqlite", "my db.sqlite", ""},
		{"sqlite:", "", "missing the database file path"},
		{"sqlite://", "", "missing the database file path"},
		{"sqlite:mas.db?cache=shared", "", "query parameters and fragments are not supported"},
		{"sqlite:mas.db#x", "", "query parameters and fragments are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			c := mustLoad(t, minimal+"database:\n  uri: '"+tt.uri+"'\n")
			if got := c.Database.Backend(); got != BackendSQLite {
				t.Errorf("Backend = %q", got)
			}
			if got := c.Database.SQLitePath(); got != tt.path {
				t.Errorf("SQLitePath = %q, want %q", got, tt.path)
			}
			err := c.Validate()
			if tt.problem == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			wantProblem(t, err, "database.uri", tt.problem)
		})
	}
	c := mustLoad(t, minimal+"database:\n  uri: postgresql://db/mas\n")
	if c.Database.Backend() != BackendPostgres || c.Database.SQLitePath() != "" {
		t.Errorf("postgres URI: backend %q path %q", c.Database.Backend(), c.Database.SQLitePath())
	}
	if _, err := mustLoad(t, minimal+"database: {uri: 'sqlite:x.db'}\n").Database.PostgresDSN(); err == nil {
		t.Error("PostgresDSN on a SQLite config should fail")
	}
}

func TestPostgresDSN(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, "s3cr'et pass\n")
	tests := []struct {
		name, yaml, want string
	}{
		{"default", "", "postgresql://"},
		{"uri as is", "uri: postgresql://user:pw@db.example.com:5433/mas?sslmode=disable", "postgresql://user:pw@db.example.com:5433/mas?sslmode=disable"},
		{"uri with ssl keys", "uri: postgres://db/mas?sslmode=disable\n  ssl_mode: verify-full\n  ssl_ca_file: testdata/files/db-ca.pem\n  ssl_certificate_file: testdata/files/db-cert.pem\n  ssl_key_file: testdata/files/db-key.pem",
			"postgres://db/mas?sslcert=testdata%2Ffiles%2Fdb-cert.pem&sslkey=testdata%2Ffiles%2Fdb-key.pem&sslmode=verify-full&sslrootcert=testdata%2Ffiles%2Fdb-ca.pem"},
		{"empty uri with ssl mode", "uri: 'postgresql://'\n  ssl_mode: disable", "postgresql://?sslmode=disable"},
		{"keys", "host: db.example.com\n  port: 5433\n  username: mas\n  password: hunter2\n  database: mas_db\n  ssl_mode: require",
			"application_name=matrix-authentication-service dbname=mas_db host=db.example.com password=hunter2 port=5433 sslmode=require user=mas"},
		{"socket and password file", "socket: /var/run/postgresql\n  username: mas\n  password_file: " + pw,
			`application_name=matrix-authentication-service host=/var/run/postgresql password='s3cr\'et pass' user=mas`},
		{"only database", "database: mas", "application_name=matrix-authentication-service dbname=mas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, minimal+"database:\n  "+tt.yaml+"\n")
			if tt.yaml == "" {
				c = mustLoad(t, minimal)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, err := c.Database.PostgresDSN()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	t.Run("uri with keys", func(t *testing.T) {
		c := mustLoad(t, minimal+"database: {uri: 'postgresql://x', host: y}\n")
		if _, err := c.Database.PostgresDSN(); err == nil || !strings.Contains(err.Error(), "`uri` must not be specified") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unreadable password file", func(t *testing.T) {
		c := mustLoad(t, minimal+"database: {host: db, password_file: "+filepath.Join(dir, "missing")+"}\n")
		if _, err := c.Database.PostgresDSN(); err == nil || !strings.Contains(err.Error(), "database.password_file: cannot read") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestPostgresInlineTLS(t *testing.T) {
	cert, err := os.ReadFile("testdata/files/tls-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile("testdata/files/tls-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Database.URI = "postgresql://db/mas"
	c.Database.SSLMode = "require"
	c.Database.SSLCA = string(cert)
	c.Database.SSLCertificate = string(cert)
	c.Database.SSLKeyFile = "testdata/files/tls-key.pem"

	if _, err := c.Database.PostgresDSN(); err == nil || !strings.Contains(err.Error(), "use Postgres() and ApplyTLS") {
		t.Errorf("PostgresDSN with inline TLS: %v", err)
	}
	pc, err := c.Database.Postgres()
	if err != nil {
		t.Fatal(err)
	}
	if pc.DSN != "postgresql://db/mas?sslmode=require" {
		t.Errorf("DSN = %s (the key file must not be in it when the certificate is inline)", pc.DSN)
	}
	if string(pc.ClientKey) != string(key) {
		t.Error("the key file was not read alongside the inline certificate")
	}
	tc := &tls.Config{InsecureSkipVerify: true}
	if err := pc.ApplyTLS(tc); err != nil {
		t.Fatal(err)
	}
	if tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.VerifyPeerCertificate == nil {
		t.Errorf("ApplyTLS did not install the material: %+v", tc)
	}
	if err := pc.ApplyTLS(nil); err != nil {
		t.Errorf("nil config: %v", err)
	}
	pc.RootCA = []byte("not pem")
	if err := pc.ApplyTLS(&tls.Config{}); err == nil {
		t.Error("bad CA accepted")
	}
}
