package activity

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// recorder is an ActivityWriter that keeps the batches it is given.
type recorder struct {
	mu      sync.Mutex
	batches [][]store.Activity
	err     error
	wrote   chan struct{}
}

func newRecorder() *recorder { return &recorder{wrote: make(chan struct{}, 100)} }

func (r *recorder) RecordActivities(_ context.Context, batch []store.Activity) error {
	r.mu.Lock()
	r.batches = append(r.batches, batch)
	r.mu.Unlock()
	r.wrote <- struct{}{}
	return r.err
}

func (r *recorder) all() [][]store.Activity {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.batches
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestKeepsNewestSightingPerSession(t *testing.T) {
	rec := newRecorder()
	tr := New(rec, Options{})
	ids := domain.NewIDGenerator(rand.Reader)
	a, b := ids.New(t0), ids.New(t0)
	tr.Record(store.ActivityOAuthSession, a, t0, "192.0.2.1")
	tr.Record(store.ActivityOAuthSession, a, t0.Add(time.Second), "")           // newer, no address
	tr.Record(store.ActivityOAuthSession, a, t0.Add(-time.Second), "192.0.2.9") // late
	tr.Record(store.ActivityCompatSession, b, t0, "")
	tr.Record(store.ActivityCompatSession, b, t0, "192.0.2.2")
	tr.Record(store.ActivityOAuthSession, b, t0, "") // same ID, another kind
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	batches := rec.all()
	if len(batches) != 1 || len(batches[0]) != 3 {
		t.Fatalf("batches = %v", batches)
	}
	got := map[store.ActivityKind]map[domain.ID]store.Activity{}
	for _, x := range batches[0] {
		if got[x.Kind] == nil {
			got[x.Kind] = map[domain.ID]store.Activity{}
		}
		got[x.Kind][x.SessionID] = x
	}
	if x := got[store.ActivityOAuthSession][a]; !x.At.Equal(t0.Add(time.Second)) || x.IP != "192.0.2.1" {
		t.Fatalf("oauth sighting = %+v", x)
	}
	if x := got[store.ActivityCompatSession][b]; !x.At.Equal(t0) || x.IP != "192.0.2.2" {
		t.Fatalf("compat sighting = %+v", x)
	}
	// Flushed means forgotten: an empty flush writes nothing.
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.all()); n != 1 {
		t.Fatalf("%d batches after an empty flush", n)
	}
}

func TestFlushesWhenFull(t *testing.T) {
	rec := newRecorder()
	tr := New(rec, Options{MaxPending: 3, Interval: time.Hour})
	tr.Start()
	ids := domain.NewIDGenerator(rand.Reader)
	for range 3 {
		tr.Record(store.ActivityOAuthSession, ids.New(t0), t0, "")
	}
	<-rec.wrote // no timing: the loop writes once three are pending
	if b := rec.all(); len(b) != 1 || len(b[0]) != 3 {
		t.Fatalf("batches = %v", b)
	}
	if err := tr.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStopFlushes(t *testing.T) {
	rec := newRecorder()
	tr := New(rec, Options{Interval: time.Hour})
	tr.Start()
	tr.Record(store.ActivityBrowserSession, domain.NewIDGenerator(rand.Reader).New(t0), t0, "")
	if err := tr.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b := rec.all(); len(b) != 1 || len(b[0]) != 1 {
		t.Fatalf("batches = %v", b)
	}
	if err := tr.Stop(context.Background()); err != nil { // twice is fine
		t.Fatal(err)
	}
}

func TestFailedFlushIsReported(t *testing.T) {
	rec := newRecorder()
	rec.err = errors.New("database down")
	tr := New(rec, Options{})
	tr.Record(store.ActivityOAuthSession, domain.NewIDGenerator(rand.Reader).New(t0), t0, "")
	if err := tr.Flush(context.Background()); err == nil {
		t.Fatal("error swallowed")
	}
}

func TestNilTracker(t *testing.T) {
	var tr *Tracker
	tr.Record(store.ActivityOAuthSession, domain.ID{}, t0, "")
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tr.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A sighting within the granularity of the one last written is dropped,
// so a busy session costs one write a minute, not one per flush.
func TestGranularity(t *testing.T) {
	rec := newRecorder()
	tr := New(rec, Options{})
	id := domain.NewIDGenerator(rand.Reader).New(t0)
	ctx := context.Background()
	for _, c := range []struct {
		at    time.Duration
		write bool
	}{{0, true}, {30 * time.Second, false}, {59 * time.Second, false}, {61 * time.Second, true}, {90 * time.Second, false}} {
		before := len(rec.all())
		tr.Record(store.ActivityCompatSession, id, t0.Add(c.at), "")
		if err := tr.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if wrote := len(rec.all()) > before; wrote != c.write {
			t.Errorf("sighting at +%v: written %v, want %v", c.at, wrote, c.write)
		}
	}
}
