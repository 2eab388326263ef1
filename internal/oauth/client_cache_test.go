package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"mas/internal/oauth"
	"mas/internal/store/storetest"
)

// TestClientCacheFollowsChanges: with the store following its feed, the
// second authorization request finds the client in the cache; a
// configuration sync that drops the redirect URI, and then the client's
// deletion, take effect on the very next request.
func TestClientCacheFollowsChanges(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	ctx := context.Background()
	storetest.Follow(t, e.store)
	e.h.ClientCache = oauth.NewClientCache(e.store.Invalidations(), e.clock)
	t.Cleanup(e.h.ClientCache.Close)

	c := e.client(cb, "https://client.example/other")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.store.Clients().UpsertStatic(ctx, c)) // as from the configuration
	for range 2 {
		if res := authorize(e.browser(), codeParams(c, cb)); res.Status != http.StatusSeeOther {
			t.Fatalf("authorize: %d %s", res.Status, res.Body)
		}
	}
	if s := e.h.ClientCache.Stats(); s.Hits != 1 || s.Entries != 1 {
		t.Fatalf("after two requests the client cache has %+v, want one hit and one entry", s)
	}

	c.RedirectURIs = []string{"https://client.example/other"}
	must(e.store.Clients().UpsertStatic(ctx, c))
	if res := authorize(e.browser(), codeParams(c, cb)); res.Status != http.StatusBadRequest {
		t.Fatalf("authorize to a redirect URI the sync removed: %d %q", res.Status, res.Location)
	}

	must(e.store.Clients().Delete(ctx, c.ID))
	res := authorize(e.browser(), codeParams(c, "https://client.example/other"))
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "not registered") {
		t.Fatalf("authorize for a deleted client: %d %q", res.Status, res.Location)
	}
}
