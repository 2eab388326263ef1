package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Phase is how long a closed-loop measurement runs: Warmup first (not
// counted), then Measure.
type Phase struct {
	Warmup  time.Duration
	Measure time.Duration
}

// Load is what a closed-loop run measured.
type Load struct {
	Ops       int
	Errors    int
	FirstErr  error
	Elapsed   time.Duration
	Latencies []time.Duration
}

// Rate is operations per second over the measured window.
func (l Load) Rate() float64 {
	if l.Elapsed <= 0 {
		return 0
	}
	return float64(l.Ops) / l.Elapsed.Seconds()
}

// RunClosedLoop runs workers goroutines that each call op back to back
// (closed loop: a new request only once the previous one answered) for
// the warm-up and then the measured window, and collects the latencies of
// the successful calls that complete within the measured window. op gets
// the worker's index and a per-worker sequence number.
func RunClosedLoop(ctx context.Context, workers int, phase Phase, op func(ctx context.Context, worker, seq int) error) Load {
	start := time.Now()
	measureFrom := start.Add(phase.Warmup)
	end := measureFrom.Add(phase.Measure)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()

	total := runWorkers(workers, func(w int, t *tally) {
		for seq := 0; ; seq++ {
			t0 := time.Now()
			if !t0.Before(end) {
				return
			}
			err := op(ctx, w, seq)
			t1 := time.Now()
			// An operation counts when it completes within the measured
			// window, wherever it started.
			if t1.Before(measureFrom) || t1.After(end) {
				continue
			}
			if err != nil && ctx.Err() != nil {
				return
			}
			t.add(err, t1.Sub(t0))
		}
	})
	total.Elapsed = min(time.Since(measureFrom), end.Sub(measureFrom))
	return total
}

// RunPass calls op once for each of n items (op gets the item's index as
// its sequence number), workers at a time, and measures all of it.
func RunPass(ctx context.Context, workers, n int, op func(ctx context.Context, worker, seq int) error) Load {
	start := time.Now()
	var next atomic.Int64
	total := runWorkers(workers, func(w int, t *tally) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n || ctx.Err() != nil {
				return
			}
			t0 := time.Now()
			err := op(ctx, w, i)
			t.add(err, time.Since(t0))
		}
	})
	total.Elapsed = time.Since(start)
	return total
}

// tally is one worker's count: the latencies of its successful calls, its
// errors and the first of them.
type tally struct {
	lat      []time.Duration
	errs     int
	firstErr error
}

func (t *tally) add(err error, d time.Duration) {
	if err == nil {
		t.lat = append(t.lat, d)
		return
	}
	t.errs++
	if t.firstErr == nil {
		t.firstErr = err
	}
}

// runWorkers runs work on workers goroutines and sums their tallies.
func runWorkers(workers int, work func(w int, t *tally)) Load {
	var mu sync.Mutex
	var total Load
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var t tally
			work(w, &t)
			mu.Lock()
			defer mu.Unlock()
			total.Latencies = append(total.Latencies, t.lat...)
			total.Errors += t.errs
			if total.FirstErr == nil {
				total.FirstErr = t.firstErr
			}
		})
	}
	wg.Wait()
	total.Ops = len(total.Latencies)
	return total
}

// NewClient returns an HTTP client for conns concurrent keep-alive
// connections to one loopback server, without redirects followed.
func NewClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// statusError reports an unexpected answer.
func statusError(what string, code int, body []byte) error {
	if len(body) > 300 {
		body = body[:300]
	}
	return fmt.Errorf("%s: HTTP %d: %s", what, code, body)
}
