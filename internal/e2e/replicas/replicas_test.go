// Package replicas runs several mas-cli processes over one PostgreSQL
// database, as operators scale out (docs/scale-out.md), and checks that
// they behave as one service.
package replicas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/proctest"
	// The test runs mas-cli built from source by `go build`, which go
	// test's result cache cannot see; depending on the CLI package makes a
	// change to the service invalidate a cached pass.
	_ "mas/internal/cli"
	"mas/internal/store/postgres/pgtest"
)

const (
	aliceName     = "alice"
	alicePassword = "replicas share one database"

	provisionPath = "/_synapse/mas/provision_user"

	// provisioned is how many users part (d) registers.
	provisioned = 12
	// loadClients is how many goroutines part (e) issues tokens from.
	loadClients = 6
)

// Three `mas-cli server --no-worker` replicas and `mas-cli worker`s over
// one PostgreSQL database behave as one service.
func TestReplicas(t *testing.T) {
	started := time.Now()
	dsn := pgtest.NewDatabase(t) // skips loudly without MAS_TEST_DATABASE_URL, fails under CI=true
	c := newCluster(t, dsn)
	r1 := c.startServer(t, "replica1")
	r2 := c.startServer(t, "replica2")
	r3 := c.startServer(t, "replica3")
	workerA := c.startWorker(t, "workerA")
	for _, r := range c.replicas {
		r.waitHealthy(t)
	}
	replicas := []*process{r1, r2, r3}
	t.Logf("three servers and a worker up %s after the test started", time.Since(started).Round(time.Millisecond))

	// Alice is created by the CLI on the same configuration, and
	// provisioned by the worker.
	c.registerUser(t, aliceName, "--password", alicePassword)
	c.waitProvisioned(t, aliceName)

	t.Run("a token issued by one replica is active on the others", func(t *testing.T) {
		for i, issuer := range replicas {
			tok := mustIssueToken(t, issuer.url)
			for _, other := range replicas {
				if other == issuer {
					continue
				}
				if got := c.mustIntrospect(t, other, tok); !got.Active || got.ClientID != clientID {
					t.Errorf("client_credentials token from %s, introspected on %s: %+v, want active for %s", issuer.name, other.name, got, clientID)
				}
			}
			compat := compatLogin(t, issuer.url, aliceName, alicePassword)
			other := replicas[(i+1)%len(replicas)]
			if got := c.mustIntrospect(t, other, compat); !got.Active || got.Username != aliceName {
				t.Errorf("compat token from %s, introspected on %s: %+v, want active for %s", issuer.name, other.name, got, aliceName)
			}
		}
	})

	t.Run("a revocation on one replica is seen by the others on the next request", func(t *testing.T) {
		// Each replica introspects the tokens twice first: the second
		// answer comes from its cache (its hit counter proves it), so
		// every replica holds them as active in memory.
		oauthTok := mustIssueToken(t, r1.url)
		compatTok := compatLogin(t, r1.url, aliceName, alicePassword)
		for _, r := range replicas {
			before := cacheHits(t, r)
			for range 2 {
				for _, tok := range []string{oauthTok, compatTok} {
					if got := c.mustIntrospect(t, r, tok); !got.Active {
						t.Fatalf("fresh token inactive on %s before the revocation: %+v", r.name, got)
					}
				}
			}
			if hits := cacheHits(t, r) - before; hits < 2 {
				t.Fatalf("%s answered %v of the repeated introspections from its cache, want 2", r.name, hits)
			}
		}
		revoke(t, r1.url, oauthTok)
		compatLogout(t, r2.url, compatTok)
		for _, r := range replicas {
			if got := c.mustIntrospect(t, r, oauthTok); got.Active {
				t.Errorf("token revoked on %s is still active on %s: %+v", r1.name, r.name, got)
			}
			if got := c.mustIntrospect(t, r, compatTok); got.Active {
				t.Errorf("compat session logged out on %s is still active on %s: %+v", r2.name, r.name, got)
			}
		}
	})

	t.Run("a browser session started on one replica works on the others", func(t *testing.T) {
		// Through the round-robin balancer, the login takes several
		// replicas: the form from one, the POST to the next.
		b := browsertest.New(t, c.lb.URL+"/")
		page := b.Follow("/account/")
		if !strings.Contains(page.URL.Path, "/login") {
			t.Fatalf("expected the login page, got %s (%d)", page.URL, page.Status)
		}
		resp := b.Submit(page, map[string]string{"username": aliceName, "password": alicePassword}, "")
		if resp.Status != http.StatusSeeOther {
			t.Fatalf("login answered %d: %s", resp.Status, resp.Body)
		}
		b.Settle(resp)
		// Then each replica directly, with the same cookies (a cookie
		// belongs to the host, whatever the port).
		for _, r := range replicas {
			direct := browsertest.New(t, r.url+"/")
			direct.Client.Jar = b.Client.Jar
			page := direct.Get("/account/")
			if page.Status != http.StatusOK || !strings.Contains(page.Body, aliceName) {
				t.Errorf("%s's account page: status %d, Location %q, mentions %s: %v", r.name, page.Status, page.Location, aliceName, strings.Contains(page.Body, aliceName))
			}
		}
	})

	t.Run("each job runs exactly once with two workers", func(t *testing.T) {
		workerB := c.startWorker(t, "workerB")
		var names []string
		for i := range provisioned {
			name := fmt.Sprintf("bob%02d", i)
			c.registerUser(t, name)
			names = append(names, name)
		}
		for _, name := range names {
			c.waitProvisioned(t, name)
		}
		c.waitQueueIdle(t)
		calls := map[string][]string{} // localpart -> processes that provisioned it
		for _, call := range c.hs.CallLog() {
			if call.Path != provisionPath {
				continue
			}
			var req struct {
				Localpart string `json:"localpart"`
			}
			_ = json.Unmarshal(call.Body, &req)
			calls[req.Localpart] = append(calls[req.Localpart], call.Header.Get(workerHeader))
		}
		perWorker := map[string]int{}
		for _, name := range append(names, aliceName) {
			by := calls[name]
			if len(by) != 1 {
				t.Errorf("%s was provisioned %d times (by %v), want exactly once", name, len(by), by)
				continue
			}
			if by[0] != workerA.name && by[0] != workerB.name {
				t.Errorf("%s was provisioned by %q, want a worker: servers run --no-worker", name, by[0])
			}
			perWorker[by[0]]++
		}
		t.Logf("provisioning per worker: %v", perWorker)
	})

	t.Run("killing a replica during load loses no acknowledged request", func(t *testing.T) {
		acked, failed := c.loadWhileKilling(t, replicas, r2)
		t.Logf("%d tokens acknowledged, %d requests not acknowledged (connection errors)", len(acked), failed)
		if len(acked) == 0 {
			t.Fatal("no token was issued during the load")
		}
		if failed == 0 {
			t.Logf("no request was cut off by the kill (it can happen between requests)")
		}
		var lost []string
		for i, tok := range acked {
			for _, r := range []*process{r1, r3} {
				got, err := c.introspect(r.url, tok.token)
				if err != nil {
					t.Fatalf("introspecting on %s: %v", r.name, err)
				}
				if !got.Active {
					lost = append(lost, fmt.Sprintf("token %d issued by %s inactive on %s", i, tok.issuer, r.name))
				}
			}
		}
		if len(lost) > 0 {
			t.Errorf("%d acknowledged tokens lost, the first ones:\n%s", len(lost), strings.Join(lost[:min(len(lost), 10)], "\n"))
		}

		// The dead replica was following the invalidation feed: a
		// revocation must still complete on the survivors and be seen.
		start := time.Now()
		revoke(t, r1.url, acked[0].token)
		t.Logf("a revocation with %s dead took %s", r2.name, time.Since(start).Round(time.Millisecond))
		for _, r := range []*process{r1, r3} {
			if got := c.mustIntrospect(t, r, acked[0].token); got.Active {
				t.Errorf("token revoked on %s after %s died is still active on %s", r1.name, r2.name, r.name)
			}
		}
	})
}

// ackedToken is a token a replica answered 200 for.
type ackedToken struct {
	token  string
	issuer string
}

// loadWhileKilling issues client_credentials tokens from several
// goroutines, round-robin over the replicas, and SIGKILLs victim half-way.
// It returns the tokens that were acknowledged and how many requests got
// no answer. Any HTTP answer other than 200 fails the test.
func (c *cluster) loadWhileKilling(t *testing.T, replicas []*process, victim *process) ([]ackedToken, int) {
	t.Helper()
	const perClient = 120
	var (
		mu      sync.Mutex
		acked   []ackedToken
		failed  int
		answers []string
		wg      sync.WaitGroup
		half    = make(chan struct{})
		once    sync.Once
		issued  int
	)
	for g := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				r := replicas[(g+i)%len(replicas)]
				tok, status, err := issueToken(r.url)
				mu.Lock()
				switch {
				case err != nil:
					failed++
				case tok == "":
					answers = append(answers, fmt.Sprintf("%s answered %d", r.name, status))
				default:
					acked = append(acked, ackedToken{token: tok, issuer: r.name})
				}
				issued++
				if issued == loadClients*perClient/2 {
					once.Do(func() { close(half) })
				}
				mu.Unlock()
			}
		}()
	}
	<-half
	victim.kill(t)
	wg.Wait()
	if len(answers) > 0 {
		t.Errorf("%d requests answered other than 200, the first ones: %v", len(answers), answers[:min(len(answers), 10)])
	}
	return acked, failed
}

// registerUser creates a user with `mas-cli manage register-user` on the
// shared configuration.
func (c *cluster) registerUser(t *testing.T, name string, extra ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := c.args(append([]string{"manage", "register-user", name, "--yes", "--ignore-password-complexity"}, extra...)...)
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = proctest.CleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mas-cli manage register-user %s: %v\n%s", name, err, out)
	}
}

// waitProvisioned waits until the fake homeserver knows the user.
func (c *cluster) waitProvisioned(t *testing.T, name string) {
	t.Helper()
	proctest.WaitUntil(t, 30*time.Second, name+" to be provisioned", func() (bool, string) {
		_, ok := c.hs.User(name)
		return ok, ""
	})
}

// waitQueueIdle waits until every provisioning job and the device syncs
// they enqueue have completed, so that a second run of one would have shown
// in the call log.
func (c *cluster) waitQueueIdle(t *testing.T) {
	t.Helper()
	proctest.WaitUntil(t, 30*time.Second, "every job to complete", func() (bool, string) {
		var pending int
		var summary string
		err := c.db.QueryRow(`SELECT count(*) FILTER (WHERE state <> 'completed'),
				coalesce(string_agg(DISTINCT kind || '/' || state::text, ' '), '')
			FROM river_job WHERE kind IN ('provision-user', 'sync-devices')`).Scan(&pending, &summary)
		if err != nil {
			t.Fatal(err)
		}
		return pending == 0, summary
	})
}
