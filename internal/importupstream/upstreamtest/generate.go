package upstreamtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/crypto/bcrypt"

	"mas/internal/domain"
	"mas/internal/tokens"
)

// Options shape a generated database.
type Options struct {
	// Users is the number of ordinary users (default 20).
	Users int
	// Seed makes the data reproducible (same seed, same rows).
	Seed uint64
	// Now is the instant the token states are relative to (expired an
	// hour ago, expiring in an hour…); default time.Now().
	Now time.Time
	// Encrypt encrypts client secrets as upstream stores them (with its
	// secrets.encryption). Required.
	Encrypt func(plaintext []byte) (string, error)
	// Anomalies adds rows that upstream accepts and this service's
	// constraints do not: usernames and email addresses that differ only
	// in case, and a browser-session authentication that names neither a
	// password nor an upstream login.
	Anomalies bool
}

// Fixture is what Generate wrote.
type Fixture struct {
	Now time.Time
	// Password is every user's password (bcrypt, cost 4, no pepper:
	// password scheme version 1 of a test configuration).
	Password string
	Users    []User
	Clients  []Client
	Tokens   []Token
	// Rows counts the rows written per table.
	Rows map[string]int
	// Anomalies describes the rows Options.Anomalies added; nil without.
	Anomalies *Anomalies
}

// User is a generated user.
type User struct {
	ID       domain.ID
	Username string
	Emails   []string
	// Valid is false for locked and deactivated users.
	Valid bool
}

// Client is a generated OAuth 2.0 client.
type Client struct {
	ID         domain.ID
	AuthMethod string
	Secret     string // "" for public clients
	Static     bool
}

// Token is a token string a client holds, with upstream's answer for it.
type Token struct {
	Value string
	// Kind is the prefix: mat, mar, mct, mcr, mpt (or syt for a token
	// syn2mas brought over from Synapse).
	Kind string
	// UserID is the user the token belongs to (its session's user or
	// actor); zero for a client's own session.
	UserID domain.ID
	Want   Answer
}

// Anomalies are the rows that break this service's constraints.
type Anomalies struct {
	// UserKept and UserSkipped have usernames that differ only in case;
	// the import keeps the lowercase one.
	UserKept, UserSkipped User
	// EmailKept (older) and EmailSkipped (newer) are the same address in
	// another case, of two different users.
	EmailKept, EmailSkipped domain.ID
	// AuthWithoutMethod is a browser-session authentication with neither
	// a password nor an upstream login.
	AuthWithoutMethod domain.ID
}

// Generate fills a database that holds upstream's schema (see Load).
func Generate(ctx context.Context, db *sql.DB, opts Options) (*Fixture, error) {
	if opts.Encrypt == nil {
		return nil, errors.New("upstreamtest: Options.Encrypt is required")
	}
	if opts.Users == 0 {
		opts.Users = 20
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	g, err := newGenerator(opts)
	if err != nil {
		return nil, err
	}
	if err := g.build(); err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pg := dc.(*stdlib.Conn).Conn()
		return pgx.BeginFunc(ctx, pg, func(tx pgx.Tx) error { return g.write(ctx, tx) })
	})
	if err != nil {
		return nil, fmt.Errorf("upstreamtest: writing the rows: %w", err)
	}
	return g.fixture, nil
}

// generator accumulates the rows of every table, then copies them in.
type generator struct {
	opts    Options
	rnd     *rand.Rand
	entropy *rand.ChaCha8 // token strings and ULID randomness
	ids     *domain.IDGenerator
	clock   time.Time // advances with every entity, so ULIDs are ordered
	hash    string
	rows    map[string][][]any
	fixture *Fixture
}

func newGenerator(opts Options) (*generator, error) {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], opts.Seed)
	entropy := rand.NewChaCha8(seed)
	const password = "fixture-password"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		return nil, err
	}
	now := opts.Now.UTC().Truncate(time.Microsecond)
	return &generator{
		opts:    opts,
		rnd:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		entropy: entropy,
		ids:     domain.NewIDGenerator(entropy),
		clock:   now.Add(-60 * 24 * time.Hour),
		hash:    string(hash),
		rows:    map[string][][]any{},
		fixture: &Fixture{Now: now, Password: password, Rows: map[string]int{}},
	}, nil
}

// next returns a new ID and its instant, a few minutes after the last.
func (g *generator) next() (domain.ID, time.Time) {
	g.clock = g.clock.Add(time.Duration(1+g.rnd.IntN(300)) * time.Second)
	return g.ids.New(g.clock), g.clock
}

func (g *generator) add(table string, row ...any) { g.rows[table] = append(g.rows[table], row) }

func (g *generator) token(kind tokens.Type) string {
	t, err := tokens.Generate(kind, g.entropy)
	if err != nil {
		panic(err) // only an unknown kind fails
	}
	return t
}

func (g *generator) now() time.Time { return g.fixture.Now }

// at returns a pointer to an instant relative to Now.
func (g *generator) at(d time.Duration) *time.Time {
	t := g.now().Add(d)
	return &t
}

func (g *generator) want(value, kind string, user *userState, a Answer) {
	t := Token{Value: value, Kind: kind, Want: a}
	if user != nil {
		t.UserID = user.id
	}
	g.fixture.Tokens = append(g.fixture.Tokens, t)
}

func uuid(id domain.ID) [16]byte { return id }

func uuidp(id *domain.ID) any {
	if id == nil {
		return nil
	}
	return [16]byte(*id)
}

func timep(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func ip(s string) any {
	if s == "" {
		return nil
	}
	return netip.MustParseAddr(s)
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func sha(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// columns are the columns each table's rows fill, tables in an order
// that respects their foreign keys.
var columns = []struct {
	table string
	cols  []string
}{
	{"_sqlx_migrations", []string{"version", "description", "installed_on", "success", "checksum", "execution_time"}},
	{"users", []string{"user_id", "username", "created_at", "locked_at", "deactivated_at", "can_request_admin", "is_guest"}},
	{"user_passwords", []string{"user_password_id", "user_id", "hashed_password", "version", "upgraded_from_id", "created_at"}},
	{"user_emails", []string{"user_email_id", "user_id", "email", "created_at"}},
	{"user_unsupported_third_party_ids", []string{"user_id", "medium", "address", "created_at"}},
	{"user_sessions", []string{"user_session_id", "user_id", "created_at", "finished_at", "user_agent", "last_active_at", "last_active_ip"}},
	{"upstream_oauth_providers", []string{"upstream_oauth_provider_id", "issuer", "human_name", "brand_name", "scope",
		"client_id", "encrypted_client_secret", "token_endpoint_signing_alg", "token_endpoint_auth_method",
		"id_token_signed_response_alg", "fetch_userinfo", "userinfo_signed_response_alg", "created_at", "disabled_at",
		"claims_imports", "jwks_uri_override", "authorization_endpoint_override", "token_endpoint_override",
		"userinfo_endpoint_override", "discovery_mode", "pkce_mode", "response_mode", "additional_parameters",
		"forward_login_hint", "on_backchannel_logout", "registration_token_required", "ui_order"}},
	{"upstream_oauth_links", []string{"upstream_oauth_link_id", "upstream_oauth_provider_id", "user_id", "subject",
		"human_account_name", "created_at"}},
	{"upstream_oauth_authorization_sessions", []string{"upstream_oauth_authorization_session_id",
		"upstream_oauth_provider_id", "upstream_oauth_link_id", "user_session_id", "state", "code_verifier", "nonce",
		"id_token", "id_token_claims", "userinfo", "extra_callback_parameters", "created_at", "completed_at",
		"consumed_at", "unlinked_at"}},
	{"user_session_authentications", []string{"user_session_authentication_id", "user_session_id", "created_at",
		"user_password_id", "upstream_oauth_authorization_session_id"}},
	{"oauth2_clients", []string{"oauth2_client_id", "encrypted_client_secret", "redirect_uris",
		"grant_type_authorization_code", "grant_type_refresh_token", "grant_type_client_credentials",
		"grant_type_device_code", "client_name", "logo_uri", "client_uri", "policy_uri", "tos_uri", "jwks", "jwks_uri",
		"id_token_signed_response_alg", "userinfo_signed_response_alg", "token_endpoint_auth_method",
		"token_endpoint_auth_signing_alg", "initiate_login_uri", "application_type", "contacts", "is_static",
		"metadata_digest"}},
	{"oauth2_sessions", []string{"oauth2_session_id", "user_session_id", "oauth2_client_id", "user_id", "scope_list",
		"created_at", "finished_at", "user_agent", "last_active_at", "last_active_ip", "human_name"}},
	{"oauth2_access_tokens", []string{"oauth2_access_token_id", "oauth2_session_id", "access_token", "expires_at",
		"revoked_at", "created_at", "first_used_at"}},
	{"oauth2_refresh_tokens", []string{"oauth2_refresh_token_id", "oauth2_session_id", "oauth2_access_token_id",
		"refresh_token", "next_oauth2_refresh_token_id", "created_at", "consumed_at", "revoked_at"}},
	{"compat_sessions", []string{"compat_session_id", "user_id", "device_id", "user_session_id", "created_at",
		"finished_at", "is_synapse_admin", "last_active_at", "last_active_ip", "user_agent", "human_name"}},
	{"compat_access_tokens", []string{"compat_access_token_id", "compat_session_id", "access_token", "created_at", "expires_at"}},
	{"compat_refresh_tokens", []string{"compat_refresh_token_id", "compat_session_id", "compat_access_token_id",
		"refresh_token", "created_at", "consumed_at"}},
	{"personal_sessions", []string{"personal_session_id", "owner_user_id", "owner_oauth2_client_id", "actor_user_id",
		"human_name", "scope_list", "created_at", "revoked_at", "last_active_at", "last_active_ip"}},
	{"personal_access_tokens", []string{"personal_access_token_id", "personal_session_id", "access_token_sha256",
		"created_at", "expires_at", "revoked_at"}},
	{"user_registration_tokens", []string{"user_registration_token_id", "token", "usage_limit", "times_used",
		"created_at", "last_used_at", "expires_at", "revoked_at"}},
	{"policy_data", []string{"policy_data_id", "created_at", "data"}},
	{"queue_jobs", []string{"queue_job_id", "queue_name", "payload", "metadata", "attempt", "created_at"}},
}

// write copies every table's rows in, in one transaction.
func (g *generator) write(ctx context.Context, tx pgx.Tx) error {
	for _, t := range columns {
		rows := g.rows[t.table]
		if len(rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("%s: %w", t.table, err)
		}
	}
	return nil
}
