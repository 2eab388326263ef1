package e2e

import (
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mas/internal/compat"
	"mas/internal/oauth"
	"mas/internal/ratelimit"
	"mas/internal/testdb"
	"mas/internal/testenv"
)

// Largest rows an unauthenticated request can leave, with room for the
// row and index overhead of either backend: a grant stores its query
// string and, within it, its state (so up to twice the query cap); an SSO
// login stores its redirect URL and a token.
const (
	maxGrantRowBytes    = 2*oauth.MaxAuthorizeQueryBytes + 4<<10
	maxSSOLoginRowBytes = compat.MaxRedirectURLBytes + 4<<10
)

// TestUnauthenticatedRequestsBoundedGrowth sends 10,000 requests that each
// ask us to store as much as we accept, without logging in: half
// authorization requests with a state that fills the query cap, half
// compat SSO redirects with a redirectUrl at its cap, all from one address.
// Before the caps and limits, 200 such requests grew an SQLite database by
// 420 MB. Now the per-address limits let through their burst plus their
// refill over the run, each stores a bounded row, and the database grows
// by at most that many bounded rows.
func TestUnauthenticatedRequestsBoundedGrowth(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres})
		db := testdb.DB(t, env.App.Store)
		clientID := registerClient(t, env, "authorization_code")
		before := databaseBytes(t, db, postgres)

		authorizeURL := func() string {
			q := url.Values{
				"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
				"scope": {"openid"}, "code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"S256"},
			}
			// Random, so that neither backend can compress it away.
			q.Set("state", randomText(oauth.MaxAuthorizeQueryBytes-len(q.Encode())-len("&state=")))
			if len(q.Encode()) != oauth.MaxAuthorizeQueryBytes {
				t.Fatalf("query of %d bytes", len(q.Encode()))
			}
			return env.URL("/authorize?" + q.Encode())
		}
		ssoURL := func() string {
			target := "https://client.example/cb?x=" + randomText(compat.MaxRedirectURLBytes-len("https://client.example/cb?x="))
			return env.URL("/_matrix/client/v3/login/sso/redirect?redirectUrl=" + url.QueryEscape(target))
		}

		const requests = 10000
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		var stored, limited atomic.Int64
		var unexpected sync.Map
		start := time.Now()
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < requests; i += 4 {
					u := authorizeURL()
					if i%2 == 1 {
						u = ssoURL()
					}
					resp, err := client.Get(u)
					if err != nil {
						unexpected.Store(err.Error(), true)
						continue
					}
					resp.Body.Close()
					switch resp.StatusCode {
					case http.StatusSeeOther:
						stored.Add(1)
					case http.StatusTooManyRequests:
						limited.Add(1)
						if resp.Header.Get("Retry-After") == "" {
							unexpected.Store("429 without Retry-After", true)
						}
					default:
						unexpected.Store(fmt.Sprintf("status %d", resp.StatusCode), true)
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		unexpected.Range(func(k, _ any) bool { t.Errorf("unexpected answer: %v", k); return true })

		grants := count(t, db, `SELECT COUNT(*) FROM oauth2_authorization_grants`)
		logins := count(t, db, `SELECT COUNT(*) FROM compat_sso_logins`)
		if grants+logins != stored.Load() {
			t.Errorf("%d requests redirected but %d grants and %d SSO logins stored", stored.Load(), grants, logins)
		}
		def := ratelimit.DefaultConfig()
		allowed := func(r ratelimit.Rate) int64 {
			return int64(r.Burst) + int64(elapsed.Seconds()*r.PerSecond) + 1
		}
		if grants > allowed(def.AuthorizationPerIP) || logins > allowed(def.CompatSSOPerIP) {
			t.Errorf("%d grants and %d SSO logins in %v: more than the per-address limits let through", grants, logins, elapsed)
		}
		growth := databaseBytes(t, db, postgres) - before
		bound := grants*maxGrantRowBytes + logins*maxSSOLoginRowBytes + 1<<20
		t.Logf("%d requests in %v: %d stored (%d grants, %d SSO logins), %d refused as too many; database grew by %.1f MiB (bound %.1f MiB)",
			requests, elapsed.Round(time.Millisecond), stored.Load(), grants, logins, limited.Load(),
			float64(growth)/(1<<20), float64(bound)/(1<<20))
		if growth > bound {
			t.Errorf("database grew by %d bytes, more than %d", growth, bound)
		}
	})
}

// databaseBytes is the size of the database: pages in use on SQLite
// (including what still sits in the write-ahead log), the whole database
// on PostgreSQL.
func databaseBytes(t *testing.T, db *sql.DB, postgres bool) int64 {
	t.Helper()
	q := `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`
	if postgres {
		// Make freshly written pages count, whoever holds them.
		if _, err := db.Exec(`CHECKPOINT`); err != nil {
			t.Logf("checkpoint: %v", err)
		}
		q = `SELECT pg_database_size(current_database())`
	}
	return count(t, db, q)
}

func count(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// randomText is n bytes of URL-safe random text.
func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
