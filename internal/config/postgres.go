package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// PostgresConnection is what the PostgreSQL backend needs to connect.
//
// DSN is a connection string that pgx (and libpq) accept. TLS material given
// inline in the config (`ssl_ca`, `ssl_certificate`, `ssl_key`) cannot be
// expressed in a connection string, which only names files; rather than
// writing secrets to temporary files, it is returned here and the caller
// installs it on the TLS configurations pgx derives from the DSN:
//
//	pc, err := cfg.Database.Postgres()
//	pgxCfg, err := pgx.ParseConfig(pc.DSN)
//	err = pc.ApplyTLS(pgxCfg.TLSConfig)
//	for _, fb := range pgxCfg.Fallbacks { err = pc.ApplyTLS(fb.TLSConfig) }
type PostgresConnection struct {
	DSN string
	// SSLMode is the configured `ssl_mode`, or "" when unset.
	SSLMode PgSSLMode
	// RootCA, ClientCertificate and ClientKey are inline PEM, nil unless
	// given inline.
	RootCA            []byte
	ClientCertificate []byte
	ClientKey         []byte
}

// HasInlineTLS tells whether ApplyTLS has anything to do.
func (p *PostgresConnection) HasInlineTLS() bool {
	return len(p.RootCA) > 0 || len(p.ClientCertificate) > 0
}

// postgresApplicationName is what upstream reports to PostgreSQL when it
// builds the connection from individual keys.
const postgresApplicationName = "matrix-authentication-service"

// Postgres resolves the PostgreSQL connection settings from either `uri` or
// the individual keys, reading `password_file` and, when some TLS material
// is inline, the matching certificate or key file.
func (d *DatabaseConfig) Postgres() (PostgresConnection, error) {
	if d.Backend() != BackendPostgres {
		return PostgresConnection{}, errors.New("database.uri: not a PostgreSQL database")
	}
	if d.URI != "" && d.hasConnectionKeys() {
		return PostgresConnection{}, errors.New("database: `uri` must not be specified together with the individual connection keys")
	}
	pc := PostgresConnection{SSLMode: d.SSLMode}
	params := map[string]string{}
	if d.SSLMode != "" {
		params["sslmode"] = string(d.SSLMode)
	}
	var err error
	if d.SSLCA != "" || d.SSLCAFile != "" {
		if d.SSLCA != "" && d.SSLCAFile != "" {
			return PostgresConnection{}, errors.New("database: Cannot specify both `ssl_ca` and `ssl_ca_file`")
		}
		if d.SSLCA != "" {
			pc.RootCA = []byte(d.SSLCA)
		} else {
			params["sslrootcert"] = d.SSLCAFile
		}
	}
	inlineClient := d.SSLCertificate != "" || d.SSLKey != ""
	if inlineClient {
		// Both halves travel together: pgx wants both as files or we install
		// both ourselves.
		if pc.ClientCertificate, err = bytesValue("database", "ssl_certificate", d.SSLCertificate, d.SSLCertificateFile); err != nil {
			return PostgresConnection{}, err
		}
		if pc.ClientKey, err = bytesValue("database", "ssl_key", d.SSLKey, d.SSLKeyFile); err != nil {
			return PostgresConnection{}, err
		}
	} else {
		if d.SSLCertificateFile != "" {
			params["sslcert"] = d.SSLCertificateFile
		}
		if d.SSLKeyFile != "" {
			params["sslkey"] = d.SSLKeyFile
		}
	}

	if d.URI != "" {
		if err := checkPostgresURI(d.URI); err != nil {
			return PostgresConnection{}, fmt.Errorf("database.uri: %w", err)
		}
		pc.DSN = withQueryParams(d.URI, params)
		return pc, nil
	}

	password, err := secretValue("database", "password", d.Password, d.PasswordFile)
	if err != nil {
		return PostgresConnection{}, err
	}
	host := d.Host
	if d.Socket != "" {
		// pgx and libpq take a socket directory as the host.
		host = d.Socket
	}
	kv := map[string]string{"application_name": postgresApplicationName}
	for k, v := range params {
		kv[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			kv[k] = v
		}
	}
	set("host", host)
	if d.Port != 0 {
		kv["port"] = strconv.Itoa(int(d.Port))
	}
	set("user", d.Username)
	set("password", password)
	set("dbname", d.Database)
	pc.DSN = keywordDSN(kv)
	return pc, nil
}

// PostgresDSN returns a pgx connection string. It fails when TLS material is
// given inline, because a connection string cannot carry it; use Postgres
// and ApplyTLS in that case.
func (d *DatabaseConfig) PostgresDSN() (string, error) {
	pc, err := d.Postgres()
	if err != nil {
		return "", err
	}
	if pc.HasInlineTLS() {
		return "", errors.New("database: inline `ssl_ca`, `ssl_certificate` or `ssl_key` cannot be expressed in a connection string; use Postgres() and ApplyTLS")
	}
	return pc.DSN, nil
}

// withQueryParams sets query parameters on a URI, leaving the rest of it as
// written (url.URL.String would turn "postgresql://" into "postgresql:",
// which pgx no longer recognises as a URI).
func withQueryParams(uri string, params map[string]string) string {
	if len(params) == 0 {
		return uri
	}
	base, fragment, _ := strings.Cut(uri, "#")
	base, rawQuery, _ := strings.Cut(base, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		q = url.Values{}
	}
	for k, v := range params {
		q.Set(k, v)
	}
	out := base + "?" + q.Encode()
	if fragment != "" {
		out += "#" + fragment
	}
	return out
}

// keywordDSN renders libpq keyword/value pairs in a stable order.
func keywordDSN(kv map[string]string) string {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + quoteDSNValue(kv[k])
	}
	return strings.Join(parts, " ")
}

func quoteDSNValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r'\\") {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(v) + "'"
}

func checkPostgresURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid database URI: %v", unwrapURLError(err))
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("unsupported database URI scheme %q: expected postgresql://, postgres:// or sqlite:", u.Scheme)
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ApplyTLS installs the inline TLS material on one TLS configuration derived
// from DSN. A nil configuration (a plaintext attempt) is left alone. With
// sslmode=require and a root certificate, libpq checks the server's chain
// (like verify-ca); pgx only does that for a root certificate file, so we
// add the check here.
func (p *PostgresConnection) ApplyTLS(c *tls.Config) error {
	if c == nil {
		return nil
	}
	if len(p.RootCA) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(p.RootCA) {
			return errors.New("database.ssl_ca: no PEM certificate found")
		}
		c.RootCAs = pool
		if p.SSLMode == "require" && c.VerifyPeerCertificate == nil {
			c.InsecureSkipVerify = true
			c.VerifyPeerCertificate = verifyChainOnly(pool)
		}
	}
	if len(p.ClientCertificate) > 0 || len(p.ClientKey) > 0 {
		cert, err := tls.X509KeyPair(p.ClientCertificate, p.ClientKey)
		if err != nil {
			return fmt.Errorf("database: invalid ssl_certificate/ssl_key pair: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return nil
}

// verifyChainOnly checks that the server certificate chains to roots
// without checking the host name.
func verifyChainOnly(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("server sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, der := range raw {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return fmt.Errorf("parsing server certificate: %w", err)
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
}
