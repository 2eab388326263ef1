// Package ratelimit provides keyed, in-memory rate limiters with upstream
// MAS's semantics: each key has a bucket of `burst` cells that refills at
// `per_second` cells per second, and a denied request consumes nothing.
//
// A Limiter runs the generic cell rate algorithm (GCRA), the algorithm of
// the governor crate upstream uses, which is an exact token bucket that
// stores one timestamp per key: the theoretical arrival time (TAT) after
// which the key's bucket is full again. A key whose TAT has passed is
// indistinguishable from a key never seen, so dropping it loses nothing;
// that is how idle keys are evicted. State is per process, as upstream's.
package ratelimit

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"time"
)

// Options tune a Limiter beyond its rate.
type Options struct {
	// Now is the clock Allow reads; nil means time.Now. AllowAt takes the
	// time explicitly.
	Now func() time.Time
	// MaxKeys bounds how many keys are tracked at once; 0 means 100000.
	// When full, idle keys go first, then the keys closest to a full bucket
	// (forgetting those returns them a full bucket a little early, which is
	// the least harm a memory bound can do).
	MaxKeys int
	// SweepInterval is how often a shard drops idle keys while it is in use;
	// 0 means one minute, as upstream's housekeeping task.
	SweepInterval time.Duration
}

const (
	defaultMaxKeys       = 100000
	defaultSweepInterval = time.Minute
	shardCount           = 16
	// Rates slower than one cell per ~10 years or a full bucket further away
	// than that make no sense and would overflow the arithmetic.
	maxHorizon = 10 * 365 * 24 * time.Hour
)

// Limiter is a keyed rate limiter, safe for concurrent use.
type Limiter struct {
	burst    int
	interval int64 // nanoseconds between two cells (1 / per_second)
	capacity int64 // burst * interval: how far ahead TAT may run
	now      func() time.Time
	base     time.Time // times are kept as offsets from here (monotonic when real)
	sweep    int64
	maxShard int
	seed     maphash.Seed
	shards   [shardCount]shard
}

type shard struct {
	mu        sync.Mutex
	tat       map[string]int64
	lastSweep int64
}

// New returns a limiter allowing bursts of `burst` requests per key, refilled
// at perSecond requests per second.
func New(burst int, perSecond float64, opts Options) (*Limiter, error) {
	if burst < 1 {
		return nil, fmt.Errorf("ratelimit: burst %d must be at least 1", burst)
	}
	if math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond <= 0 {
		return nil, fmt.Errorf("ratelimit: per_second %v must be a positive number", perSecond)
	}
	interval := float64(time.Second) / perSecond
	if interval < 1 {
		return nil, fmt.Errorf("ratelimit: per_second %v is faster than one per nanosecond", perSecond)
	}
	if interval*float64(burst) > float64(maxHorizon) {
		return nil, fmt.Errorf("ratelimit: burst %d at per_second %v takes longer than %v to refill", burst, perSecond, maxHorizon)
	}
	if opts.MaxKeys < 0 {
		return nil, fmt.Errorf("ratelimit: max keys %d must not be negative", opts.MaxKeys)
	}
	if opts.SweepInterval < 0 {
		return nil, fmt.Errorf("ratelimit: sweep interval %v must not be negative", opts.SweepInterval)
	}
	l := &Limiter{
		burst:    burst,
		interval: int64(interval),
		now:      opts.Now,
		sweep:    int64(opts.SweepInterval),
		seed:     maphash.MakeSeed(),
	}
	l.capacity = l.interval * int64(burst)
	if l.now == nil {
		l.now = time.Now
	}
	l.base = l.now()
	if l.sweep == 0 {
		l.sweep = int64(defaultSweepInterval)
	}
	maxKeys := opts.MaxKeys
	if maxKeys == 0 {
		maxKeys = defaultMaxKeys
	}
	l.maxShard = max(1, maxKeys/shardCount)
	for i := range l.shards {
		l.shards[i].tat = make(map[string]int64)
	}
	return l, nil
}

// Burst is the bucket size.
func (l *Limiter) Burst() int { return l.burst }

// Interval is the time for one cell to refill.
func (l *Limiter) Interval() time.Duration { return time.Duration(l.interval) }

// Allow consumes one cell of key's bucket at the current time and reports
// whether one was available.
func (l *Limiter) Allow(key string) bool {
	ok, _ := l.CheckAt(key, l.now())
	return ok
}

// AllowAt is Allow at a given time.
func (l *Limiter) AllowAt(key string, now time.Time) bool {
	ok, _ := l.CheckAt(key, now)
	return ok
}

// Check is Allow that also says, when denied, how long until a cell is
// available (for Retry-After or retry_after_ms).
func (l *Limiter) Check(key string) (ok bool, retryAfter time.Duration) {
	return l.CheckAt(key, l.now())
}

// CheckAt is Check at a given time.
func (l *Limiter) CheckAt(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	t := l.offset(now)
	s := &l.shards[maphash.String(l.seed, key)%shardCount]
	s.mu.Lock()
	defer s.mu.Unlock()

	if t-s.lastSweep >= l.sweep || t < s.lastSweep {
		s.dropIdle(t)
		s.lastSweep = t
	}
	tat, known := s.tat[key]
	if tat < t {
		tat = t
	}
	next := tat + l.interval
	if next-t > l.capacity {
		return false, time.Duration(next - t - l.capacity)
	}
	if !known && len(s.tat) >= l.maxShard {
		s.makeRoom(t, l.maxShard)
	}
	s.tat[key] = next
	return true, 0
}

// offset maps a time onto the limiter's private timeline. Real times carry a
// monotonic reading, so wall-clock steps do not open or close buckets.
func (l *Limiter) offset(now time.Time) int64 {
	return int64(now.Sub(l.base))
}

// Sweep drops every idle key now. Sweeping also happens on its own while the
// limiter is in use; this is for a housekeeping job that wants memory back
// from a limiter that went quiet.
func (l *Limiter) Sweep() { l.SweepAt(l.now()) }

// SweepAt is Sweep at a given time.
func (l *Limiter) SweepAt(now time.Time) {
	t := l.offset(now)
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		s.dropIdle(t)
		s.lastSweep = t
		s.mu.Unlock()
	}
}

// Len is the number of keys tracked, idle ones included until swept.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// dropIdle forgets keys whose bucket is full again.
func (s *shard) dropIdle(t int64) {
	for k, tat := range s.tat {
		if tat <= t {
			delete(s.tat, k)
		}
	}
}

// makeRoom frees at least an eighth of a full shard: idle keys first, then
// the keys nearest to a full bucket. Doing it in bulk keeps the O(n) scan
// rare under a flood of new keys.
func (s *shard) makeRoom(t int64, limit int) {
	s.dropIdle(t)
	target := limit - max(1, limit/8)
	if len(s.tat) <= target {
		return
	}
	tats := make([]int64, 0, len(s.tat))
	for _, tat := range s.tat {
		tats = append(tats, tat)
	}
	slices.Sort(tats)
	cutoff := tats[len(tats)-target-1]
	for k, tat := range s.tat {
		if tat <= cutoff {
			delete(s.tat, k)
		}
	}
}

// ErrLimited is matched (errors.Is) by every *LimitedError.
var ErrLimited = errors.New("rate limited")

// LimitedError says which limiter refused and when to retry.
type LimitedError struct {
	// Limiter is the configuration name, e.g. "login.per_ip".
	Limiter string
	// Key is what was limited (an IP address, an account, an email address,
	// a session); for logs only.
	Key string
	// RetryAfter is the wait until the next cell.
	RetryAfter time.Duration
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("rate limited by %s for %s (retry after %v)", e.Limiter, e.Key, e.RetryAfter.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrLimited) hold.
func (e *LimitedError) Is(target error) bool { return target == ErrLimited }
