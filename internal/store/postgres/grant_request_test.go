package postgres_test

import (
	"context"
	"crypto/rand"
	"testing"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store/postgres"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/store/storetest"
	"mas/internal/testdb"
)

// AddRequest turns synchronous_commit off for its own commit only: on a
// pool of one connection, the next statement finds the setting as the
// server has it.
func TestAddRequestKeepsTheConnectionDurable(t *testing.T) {
	ctx := context.Background()
	clk := clocktest.New(storetest.Start)
	s, err := postgres.Open(ctx, postgres.Options{
		DSN: pgtest.NewDatabaseFrom(t, template), MaxConns: 1,
		Clock: clk, IDs: domain.NewIDGenerator(rand.Reader),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db := testdb.DB(t, s)
	var before, after string
	if err := db.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	c := &domain.Client{RedirectURIs: []string{"https://app.example.com/cb"}, GrantAuthorizationCode: true, TokenEndpointAuthMethod: "none"}
	if err := s.Clients().Add(ctx, c); err != nil {
		t.Fatal(err)
	}
	g := &domain.AuthorizationGrant{ClientID: c.ID, RedirectURI: "https://app.example.com/cb", Scope: []string{"openid"},
		ResponseMode: "query", ResponseTypeCode: true, Code: "code"}
	if err := s.AuthorizationGrants().AddRequest(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before == "off" || after != before {
		t.Fatalf("synchronous_commit was %q before AddRequest and %q after, want the server's (not off) both times", before, after)
	}
}
