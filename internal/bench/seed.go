package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"golang.org/x/crypto/argon2"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/sqlstore"
	"mas/internal/tokens"
)

// The password hashing parameters of the configured default scheme
// (argon2id, as upstream's argon2 crate defaults: m=19456 KiB, t=2, p=1).
const (
	argonMemory  = 19456
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// Seed is what the bench put in the database.
type Seed struct {
	Users    []string // usernames, all with Password
	Password string
	Tokens   []string // active compat access tokens
}

// argon2PHC hashes password the way the server stores an argon2id hash.
func argon2PHC(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// openStore opens the migrated database the server will use, through the
// same SQL layer (sqlstore) the server's backends share, for its bulk
// loader.
func openStore(databaseURI string) (*sqlstore.Store, error) {
	db, dialect, err := openDB(databaseURI)
	if err != nil {
		return nil, err
	}
	return sqlstore.New(sqlstore.Options{DB: db, Dialect: dialect, Clock: clock.System{},
		IDs: domain.NewIDGenerator(rand.Reader)}), nil
}

// openDB opens the database with the connection settings the server's
// backend uses.
func openDB(databaseURI string) (db *sql.DB, dialect sqlstore.Dialect, err error) {
	dialect = sqlstore.Postgres
	if path, ok := strings.CutPrefix(databaseURI, "sqlite:"); ok {
		dialect = sqlstore.SQLite
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)") // as the server's DSN (internal/store/sqlite)
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		db, err = sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	} else {
		db, err = sql.Open("pgx", databaseURI)
	}
	return db, dialect, err
}

// SeedDatabase fills an empty, migrated database with users (all with
// the same argon2id password) and one compat session with one active
// access token per token, spread over the users.
func SeedDatabase(ctx context.Context, databaseURI string, users, tokenCount int) (*Seed, error) {
	s, err := openStore(databaseURI)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ids := domain.NewIDGenerator(rand.Reader)
	now := time.Now().UTC()
	seed := &Seed{Password: "bench-" + rand.Text()}
	hash := argon2PHC(seed.Password)

	userIDs := make([]string, users)
	var userRows, passwordRows [][]any
	for i := range users {
		userIDs[i] = ids.New(now).String()
		name := fmt.Sprintf("bench%d", i)
		seed.Users = append(seed.Users, name)
		userRows = append(userRows, []any{userIDs[i], name, now})
		passwordRows = append(passwordRows, []any{ids.New(now).String(), userIDs[i], hash, int64(1), now})
	}
	err = s.BulkLoad(ctx, store.BulkOptions{
		Tables:   []string{"users", "user_passwords", "compat_sessions", "compat_access_tokens"},
		LockName: "mas-bench",
	}, func(w store.BulkWriter) error {
		if err := w.Write(ctx, "users", []string{"user_id", "username", "created_at"}, userRows); err != nil {
			return err
		}
		if err := w.Write(ctx, "user_passwords", []string{"user_password_id", "user_id", "hashed_password", "version", "created_at"}, passwordRows); err != nil {
			return err
		}
		const batch = 5000
		for from := 0; from < tokenCount; from += batch {
			var sessions, toks [][]any
			for i := from; i < min(from+batch, tokenCount); i++ {
				sessionID := ids.New(now).String()
				token, err := tokens.Generate(tokens.CompatAccessToken, rand.Reader)
				if err != nil {
					return err
				}
				seed.Tokens = append(seed.Tokens, token)
				sessions = append(sessions, []any{sessionID, userIDs[i%users], fmt.Sprintf("BENCH%07d", i), now})
				toks = append(toks, []any{ids.New(now).String(), sessionID, token, now})
			}
			if err := w.Write(ctx, "compat_sessions", []string{"compat_session_id", "user_id", "device_id", "created_at"}, sessions); err != nil {
				return err
			}
			if err := w.Write(ctx, "compat_access_tokens", []string{"compat_access_token_id", "compat_session_id", "access_token", "created_at"}, toks); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	return seed, nil
}
