package synapse_test

import (
	"testing"

	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapse"
)

const secret = "s3cret-value"

func newPair(t *testing.T) (*synapse.Client, *homeservertest.Server) {
	t.Helper()
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: secret})
	return newClient(t, hs.URL(), nil), hs
}

func newClient(t *testing.T, endpoint string, tweak func(*synapse.Options)) *synapse.Client {
	t.Helper()
	opts := synapse.Options{Endpoint: endpoint, ServerName: "example.org", Secret: secret}
	if tweak != nil {
		tweak(&opts)
	}
	c, err := synapse.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lastBody is the exact JSON the fake received on path.
func lastBody(t *testing.T, hs *homeservertest.Server, path string) string {
	t.Helper()
	c, ok := hs.LastCall(path)
	if !ok {
		t.Fatalf("no call to %s", path)
	}
	if ct := c.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	return string(c.Body)
}
