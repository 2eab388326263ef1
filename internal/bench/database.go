package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Database is the throw-away database of one run.
type Database struct {
	URI  string // for the server's database.uri
	drop func() error
}

// Close drops a PostgreSQL database (a SQLite file goes with its
// directory).
func (d *Database) Close() error {
	if d.drop == nil {
		return nil
	}
	return d.drop()
}

// NewSQLite is a new database file in dir.
func NewSQLite(dir string) *Database {
	return &Database{URI: "sqlite:" + filepath.Join(dir, "mas.db")}
}

// NewPostgres creates an empty database on the server adminURL names,
// and drops it on Close.
func NewPostgres(ctx context.Context, adminURL string) (*Database, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return nil, err
	}
	name := "mas_bench_" + strings.ToLower(rand.Text()[:10])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("creating the bench database: %w", err)
	}
	u.Path = "/" + name
	return &Database{URI: u.String(), drop: func() error {
		defer admin.Close()
		_, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		return err
	}}, nil
}
