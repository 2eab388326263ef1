package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
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
// the successful calls that complete within the measured window. op gets the worker's index
// and a per-worker sequence number.
func RunClosedLoop(ctx context.Context, workers int, phase Phase, op func(ctx context.Context, worker, seq int) error) Load {
	start := time.Now()
	measureFrom := start.Add(phase.Warmup)
	end := measureFrom.Add(phase.Measure)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()

	var mu sync.Mutex
	var total Load
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int
			var firstErr error
			for seq := 0; ; seq++ {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				err := op(ctx, w, seq)
				t1 := time.Now()
				// An operation counts when it completes within the
				// measured window, wherever it started.
				if t1.Before(measureFrom) || t1.After(end) {
					continue
				}
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lat = append(lat, t1.Sub(t0))
			}
			mu.Lock()
			total.Latencies = append(total.Latencies, lat...)
			total.Errors += errs
			if total.FirstErr == nil {
				total.FirstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.Ops = len(total.Latencies)
	total.Elapsed = time.Since(measureFrom)
	if d := end.Sub(measureFrom); total.Elapsed > d {
		total.Elapsed = d
	}
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
