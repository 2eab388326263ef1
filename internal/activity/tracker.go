// Package activity collects session sightings (when and from where a
// session was last used) in memory and writes them in batches: once a
// minute, when many have piled up, and at shutdown. The numbers are
// upstream's (its ActivityTracker flushes every minute or at 1000
// sessions). A sighting is best effort: a crash loses at most a minute of
// them, never a request.
package activity

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// Defaults, as upstream.
const (
	DefaultInterval   = time.Minute
	DefaultMaxPending = 1000
	// DefaultGranularity is how stale a written sighting may get before a
	// newer one is written: last_active_at is shown to the minute, and a
	// busy session (introspected by every Synapse worker) must not cost a
	// write per flush.
	DefaultGranularity = time.Minute
)

type key struct {
	kind store.ActivityKind
	id   domain.ID
}

// Tracker batches sightings. A nil *Tracker records nothing.
type Tracker struct {
	w           store.ActivityWriter
	logger      *slog.Logger
	interval    time.Duration
	maxPending  int
	granularity time.Duration

	mu      sync.Mutex
	pending map[key]store.Activity
	// written is the newest sighting written per session, within the
	// granularity; older entries are pruned once per granularity.
	written    map[key]time.Time
	lastPruned time.Time

	full     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	started  atomic.Bool
}

// Options tune a Tracker; zero values take the defaults.
type Options struct {
	Interval    time.Duration
	MaxPending  int
	Granularity time.Duration
	Logger      *slog.Logger
}

// New builds a tracker writing to w. Start runs its flush loop.
func New(w store.ActivityWriter, opts Options) *Tracker {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.Granularity <= 0 {
		opts.Granularity = DefaultGranularity
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Tracker{w: w, logger: opts.Logger, interval: opts.Interval, maxPending: opts.MaxPending,
		granularity: opts.Granularity, written: make(map[key]time.Time),
		pending: make(map[key]store.Activity), full: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Record notes a sighting. Only the newest per session is kept; an older
// one that carried an address lends it to a newer one that did not. A
// sighting within the granularity of the one last written is dropped.
func (t *Tracker) Record(kind store.ActivityKind, id domain.ID, at time.Time, ip string) {
	if t == nil {
		return
	}
	k := key{kind, id}
	t.mu.Lock()
	if w, ok := t.written[k]; ok && at.Sub(w) < t.granularity {
		t.mu.Unlock()
		return
	}
	old, seen := t.pending[k]
	switch {
	case !seen:
		t.pending[k] = store.Activity{Kind: kind, SessionID: id, At: at, IP: ip}
	case at.After(old.At):
		if ip == "" {
			ip = old.IP
		}
		t.pending[k] = store.Activity{Kind: kind, SessionID: id, At: at, IP: ip}
	case old.IP == "" && ip != "":
		old.IP = ip
		t.pending[k] = old
	}
	n := len(t.pending)
	t.mu.Unlock()
	if n >= t.maxPending {
		select {
		case t.full <- struct{}{}:
		default:
		}
	}
}

// Flush writes everything pending in one batch. On failure the batch is
// dropped (and logged): activity is not worth retrying forever.
func (t *Tracker) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	if len(t.pending) == 0 {
		t.mu.Unlock()
		return nil
	}
	batch := make([]store.Activity, 0, len(t.pending))
	newest := time.Time{}
	for k, a := range t.pending {
		batch = append(batch, a)
		t.written[k] = a.At
		if a.At.After(newest) {
			newest = a.At
		}
	}
	clear(t.pending)
	if newest.Sub(t.lastPruned) >= t.granularity {
		for k, w := range t.written {
			if newest.Sub(w) >= t.granularity {
				delete(t.written, k)
			}
		}
		t.lastPruned = newest
	}
	t.mu.Unlock()
	return t.w.RecordActivities(ctx, batch)
}

// Start runs the flush loop until Stop.
func (t *Tracker) Start() {
	if t.started.CompareAndSwap(false, true) {
		go t.loop()
	}
}

func (t *Tracker) loop() {
	defer close(t.done)
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		case <-t.full:
		}
		if err := t.Flush(context.Background()); err != nil {
			t.logger.Warn("writing session activity", "error", err)
		}
	}
}

// Stop ends the loop (if started) and writes what is pending.
func (t *Tracker) Stop(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.stopOnce.Do(func() { close(t.stop) })
	if t.started.Load() {
		select {
		case <-t.done:
		case <-ctx.Done():
		}
	}
	return t.Flush(ctx)
}
