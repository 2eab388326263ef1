package config

import (
	"reflect"
	"time"

	"github.com/goccy/go-yaml"
)

// DatabaseConfig is the `database` section. Every upstream key is accepted.
// On top of upstream, `uri` may name an embedded SQLite database:
//
//	sqlite:mas.db            relative to the working directory
//	sqlite://mas.db          the same
//	sqlite:///var/lib/mas.db absolute
//	sqlite::memory:          in memory (tests and experiments)
//
// Any other URI, or the individual host/port/… keys, select PostgreSQL.
type DatabaseConfig struct {
	// URI is a PostgreSQL connection URI (postgres:// or postgresql://) or
	// a sqlite: URI. It excludes the individual connection keys below.
	URI  string `yaml:"uri,omitempty"`
	Host string `yaml:"host,omitempty"`
	Port uint16 `yaml:"port,omitempty"`
	// Socket is the directory holding the PostgreSQL UNIX socket.
	Socket       string `yaml:"socket,omitempty"`
	Username     string `yaml:"username,omitempty"`
	Password     string `yaml:"password,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
	Database     string `yaml:"database,omitempty"`

	SSLMode            PgSSLMode `yaml:"ssl_mode,omitempty"`
	SSLCA              string    `yaml:"ssl_ca,omitempty"`
	SSLCAFile          string    `yaml:"ssl_ca_file,omitempty"`
	SSLCertificate     string    `yaml:"ssl_certificate,omitempty"`
	SSLCertificateFile string    `yaml:"ssl_certificate_file,omitempty"`
	SSLKey             string    `yaml:"ssl_key,omitempty"`
	SSLKeyFile         string    `yaml:"ssl_key_file,omitempty"`

	MaxConnections uint32 `yaml:"max_connections,omitempty"`
	MinConnections uint32 `yaml:"min_connections,omitempty"`
	// ConnectTimeout bounds opening a connection, in seconds (upstream
	// also bounds waiting for a pooled one; database/sql cannot).
	ConnectTimeout uint64 `yaml:"connect_timeout,omitempty"`
	// IdleTimeout closes connections idle this long, in seconds; nil (YAML
	// null) keeps idle connections forever.
	IdleTimeout *uint64 `yaml:"idle_timeout,omitempty"`
	// MaxLifetime recycles connections after this many seconds.
	MaxLifetime uint64 `yaml:"max_lifetime,omitempty"`
}

// PgSSLMode is libpq's sslmode.
type PgSSLMode string

func (PgSSLMode) enumValues() []string {
	return []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
}

// DefaultDatabaseURI is upstream's default: PostgreSQL with libpq defaults.
const DefaultDatabaseURI = "postgresql://"

func (d *DatabaseConfig) setDefaults() {
	idle := uint64(600)
	*d = DatabaseConfig{
		URI:            DefaultDatabaseURI,
		MaxConnections: 10,
		ConnectTimeout: 30,
		IdleTimeout:    &idle,
		MaxLifetime:    1800,
	}
}

// beforeDecode: in a given `database` section upstream has no default URI,
// so that `host:` and friends can be used without clashing with it.
func (d *DatabaseConfig) beforeDecode() { d.URI = "" }

// afterDecode restores the default URI when nothing says where to connect,
// which is what upstream's libpq-style defaults amount to.
func (d *DatabaseConfig) afterDecode() {
	if d.URI == "" && !d.hasConnectionKeys() {
		d.URI = DefaultDatabaseURI
	}
}

func (d *DatabaseConfig) hasConnectionKeys() bool {
	return d.Host != "" || d.Port != 0 || d.Socket != "" || d.Username != "" ||
		d.Password != "" || d.PasswordFile != "" || d.Database != ""
}

func (d *DatabaseConfig) hasSSLKeys() bool {
	return d.SSLMode != "" || d.SSLCA != "" || d.SSLCAFile != "" || d.SSLCertificate != "" ||
		d.SSLCertificateFile != "" || d.SSLKey != "" || d.SSLKeyFile != ""
}

// Database backends returned by Backend.
const (
	BackendPostgres = "postgres"
	BackendSQLite   = "sqlite"
)

// Backend returns BackendSQLite for a sqlite: URI and BackendPostgres
// otherwise.
func (d *DatabaseConfig) Backend() string {
	if isSQLiteURI(d.URI) {
		return BackendSQLite
	}
	return BackendPostgres
}

// Pool holds the connection pool settings as durations.
type Pool struct {
	MaxConnections int
	MinConnections int
	ConnectTimeout time.Duration
	// IdleTimeout is zero when idle connections are kept forever.
	IdleTimeout time.Duration
	MaxLifetime time.Duration
}

// PoolSettings returns the pool settings.
func (d *DatabaseConfig) PoolSettings() Pool {
	p := Pool{
		MaxConnections: int(d.MaxConnections),
		MinConnections: int(d.MinConnections),
		ConnectTimeout: seconds(d.ConnectTimeout),
		MaxLifetime:    seconds(d.MaxLifetime),
	}
	if d.IdleTimeout != nil {
		p.IdleTimeout = seconds(*d.IdleTimeout)
	}
	return p
}

func seconds(n uint64) time.Duration {
	const maxSeconds = uint64(1<<63-1) / uint64(time.Second)
	if n > maxSeconds {
		n = maxSeconds
	}
	return time.Duration(n) * time.Second
}

func (d *DatabaseConfig) validate(v *validator) {
	const p = "database"
	if d.URI != "" && d.hasConnectionKeys() {
		v.add(p, "`uri` must not be specified together with `host`, `port`, `socket`, `username`, `password`, `password_file` or `database`")
	}
	v.atMostOne(p, "password", d.Password, d.PasswordFile)
	v.atMostOne(p, "ssl_ca", d.SSLCA, d.SSLCAFile)
	v.atMostOne(p, "ssl_certificate", d.SSLCertificate, d.SSLCertificateFile)
	v.atMostOne(p, "ssl_key", d.SSLKey, d.SSLKeyFile)
	hasKey := d.SSLKey != "" || d.SSLKeyFile != ""
	hasCert := d.SSLCertificate != "" || d.SSLCertificateFile != ""
	if hasKey != hasCert {
		v.add(p, "`ssl_certificate` and `ssl_key` must be given together")
	}
	if d.MaxConnections == 0 {
		v.add(joinPath(p, "max_connections"), "must be at least 1")
	}
	switch {
	case d.URI == "":
	case isSQLiteURI(d.URI):
		if _, err := parseSQLiteURI(d.URI); err != nil {
			v.add(joinPath(p, "uri"), "%v", err)
		}
		if d.hasSSLKeys() {
			v.add(p, "the ssl_* keys apply to PostgreSQL only, not to a sqlite: database")
		}
	default:
		if err := checkPostgresURI(d.URI); err != nil {
			v.add(joinPath(p, "uri"), "%v", err)
		}
	}
}

// encodeNode writes the URI even when it is the default, so that a dump
// says which database is used instead of showing an empty section.
func (d DatabaseConfig) encodeNode() any {
	out := yaml.MapSlice{}
	if d.URI != "" {
		out = append(out, yaml.MapItem{Key: "uri", Value: d.URI})
	}
	for _, item := range encodeStruct(reflect.ValueOf(d)) {
		if item.Key != "uri" {
			out = append(out, item)
		}
	}
	return out
}
