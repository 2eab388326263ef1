package config

import (
	"fmt"
	"strings"
)

// SQLiteMemory is what SQLitePath returns for `sqlite::memory:`.
const SQLiteMemory = ":memory:"

func isSQLiteURI(uri string) bool {
	return len(uri) >= len("sqlite:") && strings.EqualFold(uri[:len("sqlite:")], "sqlite:")
}

// parseSQLiteURI turns a sqlite: URI into a filesystem path. The path is
// taken literally (no percent-decoding) so that any file name that works in
// a shell works here; `?` and `#` are refused because they would be read as
// query options by some drivers and silently change meaning.
func parseSQLiteURI(uri string) (string, error) {
	if !isSQLiteURI(uri) {
		return "", fmt.Errorf("not a sqlite: URI: %q", uri)
	}
	rest := uri[len("sqlite:"):]
	if rest == SQLiteMemory || rest == "//"+SQLiteMemory {
		return SQLiteMemory, nil
	}
	// sqlite://x is x (relative) and sqlite:///x is /x (absolute).
	rest = strings.TrimPrefix(rest, "//")
	switch {
	case rest == "":
		return "", fmt.Errorf("invalid SQLite URI %q: missing the database file path (for example sqlite:mas.db or sqlite:///var/lib/mas/mas.db)", uri)
	case strings.ContainsAny(rest, "?#"):
		return "", fmt.Errorf("invalid SQLite URI %q: query parameters and fragments are not supported", uri)
	case strings.ContainsRune(rest, 0):
		return "", fmt.Errorf("invalid SQLite URI %q: contains a NUL byte", uri)
	}
	return rest, nil
}

// SQLitePath returns the database file for a sqlite: URI (relative paths are
// relative to the working directory), SQLiteMemory for an in-memory
// database, or "" when the backend is not SQLite or the URI is invalid
// (Validate reports the latter).
func (d *DatabaseConfig) SQLitePath() string {
	p, err := parseSQLiteURI(d.URI)
	if err != nil {
		return ""
	}
	return p
}
