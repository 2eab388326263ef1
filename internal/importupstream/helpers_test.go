package importupstream_test

import (
	"crypto/rand"
	"database/sql"
	"testing"

	"mas/internal/encrypt"
	"mas/internal/importupstream/upstreamtest"
	"mas/internal/testdb"
)

// backends are the destinations every import test runs on.
var backends = []string{testdb.SQLite, testdb.Postgres}

// upstreamDB is upstreamtest.NewDatabase, handle first.
func upstreamDB(t *testing.T, opts upstreamtest.Options) (*sql.DB, string, *upstreamtest.Fixture) {
	t.Helper()
	dsn, db, f := upstreamtest.NewDatabase(t, opts)
	return db, dsn, f
}

// testEncrypter encrypts the generated secrets where no service runs.
func testEncrypter() *encrypt.Encrypter { return encrypt.New([32]byte{1}, rand.Reader) }
