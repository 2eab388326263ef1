package synapseconfig

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
)

// ApplicationName is the application_name of the connection to Synapse's
// PostgreSQL database, as upstream sets it.
const ApplicationName = "syn2mas-synapse"

// Source says how to open Synapse's database: ("postgres", a postgres://
// URI) for psycopg2, built from database.args as psycopg2 hands them to
// libpq, or ("sqlite", the file's path) for sqlite3. Unset parameters are
// left to the driver's defaults and PG* environment variables, as libpq
// does for Synapse; run the migration where Synapse runs for those (and
// a relative SQLite path) to mean the same.
func (c *Config) Source() (driver, dsn string, err error) {
	switch c.Database.Name {
	case "psycopg2":
		dsn, err := c.postgresURI()
		if err != nil {
			return "", "", err
		}
		return "postgres", dsn, nil
	case "sqlite3":
		path, _ := c.Database.Args["database"].(string)
		switch path {
		case "":
			return "", "", errors.New("database.args.database: required: the path of Synapse's SQLite database")
		case ":memory:":
			return "", "", errors.New("database.args.database: Synapse uses an in-memory SQLite database (:memory:), which holds nothing to migrate")
		}
		return "sqlite", path, nil
	default:
		return "", "", fmt.Errorf("syn2mas does not support the %s database driver", c.Database.Name)
	}
}

// ignoredArgs are libpq parameters the Go driver does not implement:
// passed on, they would reach the server as unknown settings and fail the
// connection, so they are left out. Synapse's documented example sets the
// keepalives ones.
var ignoredArgs = []string{
	"fallback_application_name", "gssdelegation", "gssencmode", "gsslib", "hostaddr",
	"keepalives", "keepalives_count", "keepalives_idle", "keepalives_interval",
	"load_balance_hosts", "requirepeer", "ssl_max_protocol_version", "ssl_min_protocol_version",
	"sslcompression", "sslcrl", "sslcrldir", "tcp_user_timeout",
}

// notConnectionArg says whether a database.args key is not for libpq:
// Twisted's pool settings (cp_*) and psycopg2's own keyword arguments.
func notConnectionArg(key string) bool {
	return strings.HasPrefix(key, "cp_") ||
		slices.Contains([]string{"connection_factory", "cursor_factory", "async", "async_"}, key)
}

// SourceIgnoredArgs lists the database.args keys Source leaves out of the
// PostgreSQL URI because the Go driver cannot honour them (see
// ignoredArgs), for a warning; sorted.
func (c *Config) SourceIgnoredArgs() []string {
	if c.Database.Name != "psycopg2" {
		return nil
	}
	var out []string
	for k := range c.Database.Args {
		if slices.Contains(ignoredArgs, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// postgresURI writes database.args as a URI: user, password, host and
// port in the authority (a host that is a Unix socket directory, or a
// list of hosts, goes in the query, as libpq allows), dbname (or its
// older spelling database) as the path, every other libpq parameter
// (sslmode, sslrootcert, options, …) as a query parameter, and
// application_name=syn2mas-synapse.
func (c *Config) postgresURI() (string, error) {
	args := map[string]string{}
	for k, v := range c.Database.Args {
		if notConnectionArg(k) || slices.Contains(ignoredArgs, k) || v == nil {
			continue
		}
		text, ok := scalarText(v)
		if !ok {
			return "", fmt.Errorf("database.args.%s: expected a string or a number, found %s", k, describe(v))
		}
		args[k] = text
	}
	if _, ok := args["dsn"]; ok {
		return "", errors.New("database.args.dsn: a psycopg2 connection string is not supported; give its parameters as separate keys of database.args")
	}
	_, hasDatabase := args["database"]
	_, hasDBName := args["dbname"]
	if hasDatabase && hasDBName {
		return "", errors.New("Only one of `database` and `dbname` may be specified in the Synapse database configuration, not both (they are mutually exclusive).") //nolint:staticcheck // upstream's text
	}
	u := &url.URL{Scheme: "postgres", Path: "/"}
	// A password without a user stays a query parameter.
	if user, ok := args["user"]; ok {
		if pw, ok := args["password"]; ok {
			u.User = url.UserPassword(user, pw)
		} else {
			u.User = url.User(user)
		}
		delete(args, "user")
		delete(args, "password")
	}
	for _, k := range []string{"dbname", "database"} {
		if db, ok := args[k]; ok {
			u.Path = "/" + db
			delete(args, k)
		}
	}
	host, port := args["host"], args["port"]
	if host != "" && !strings.HasPrefix(host, "/") && !strings.Contains(host, ",") && !strings.Contains(port, ",") {
		u.Host = host
		if strings.Contains(host, ":") { // IPv6
			u.Host = "[" + host + "]"
		}
		if port != "" {
			u.Host = net.JoinHostPort(host, port)
		}
		delete(args, "host")
		delete(args, "port")
	}
	args["application_name"] = ApplicationName
	keys := slices.Sorted(maps.Keys(args))
	query := make([]string, len(keys))
	for i, k := range keys {
		query[i] = queryEscape(k) + "=" + queryEscape(args[k])
	}
	u.RawQuery = strings.Join(query, "&")
	return u.String(), nil
}

// queryEscape escapes for libpq, which, unlike HTML forms, does not read
// "+" as a space (nor does pgx).
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
