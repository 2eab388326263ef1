package synapsetest

import (
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"mas/internal/store/postgres/pgtest"
)

// The instances shared by the tests of one binary, started on first use
// and stopped by Main.
var (
	sharedMu    sync.Mutex
	mainRunning bool
	shared      = map[Options]*sharedInstance{}
)

type sharedInstance struct {
	s   *Synapse
	err error // a failed start is not retried: every test reports it
}

// Main runs the tests of a package that uses Shared, then stops the shared
// instances. Call it from TestMain: os.Exit(synapsetest.Main(m)).
func Main(m *testing.M) int {
	sharedMu.Lock()
	mainRunning = true
	sharedMu.Unlock()
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for opts, in := range shared {
		if in.s != nil {
			if err := in.s.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "synapsetest: stopping %s: %v\n", opts, err)
			}
		}
	}
	clear(shared)
	return code
}

// Shared returns the test binary's instance for opts, starting it on first
// use, and holds it for the test: tests that share an instance run one
// after the other (the attached service is one at a time). On failure the
// part of Synapse's log written during the test is printed.
func Shared(t testing.TB, opts Options) *Synapse {
	t.Helper()
	Require(t)
	if opts.Postgres {
		pgtest.Require(t)
	}
	sharedMu.Lock()
	if !mainRunning {
		sharedMu.Unlock()
		t.Fatal("synapsetest.Shared needs the package's TestMain to call synapsetest.Main")
	}
	in, ok := shared[opts]
	if !ok {
		started := time.Now()
		in = &sharedInstance{}
		in.s, in.err = Start(opts)
		if in.err == nil {
			t.Logf("synapsetest: started %s at %s in %v", opts, in.s.URL(), time.Since(started).Round(time.Millisecond))
		}
		shared[opts] = in
	}
	sharedMu.Unlock()
	if in.err != nil {
		t.Fatalf("synapsetest: %v", in.err)
	}
	s := in.s
	s.lease <- struct{}{}
	mark := s.log.mark()
	t.Cleanup(func() {
		s.service.set(nil)
		if t.Failed() {
			t.Logf("%s log during this test:\n%s", opts, s.log.tail(mark, logLinesOnFailure))
		}
		<-s.lease
	})
	return s
}

// Attach points AuthURL (and the legacy login endpoints behind ClientURL)
// at a running service, until the test ends or another Attach.
func (s *Synapse) Attach(serviceURL string) error {
	if mode := s.currentMode(); mode != Delegated {
		return fmt.Errorf("synapsetest: a %s-mode Synapse has no service to attach", mode)
	}
	u, err := url.Parse(serviceURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("synapsetest: %q is not an absolute URL", serviceURL)
	}
	s.service.set(u)
	return nil
}
