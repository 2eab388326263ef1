package bench

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestRunClosedLoopCountsEveryWorker(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]bool{}
	l := RunClosedLoop(context.Background(), 3, Phase{Measure: 50 * time.Millisecond}, func(_ context.Context, w, _ int) error {
		mu.Lock()
		seen[w] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return nil
	})
	if len(seen) != 3 {
		t.Errorf("workers seen = %v, want 0, 1 and 2", seen)
	}
	if l.Ops == 0 || l.Ops != len(l.Latencies) || l.Errors != 0 || l.Rate() <= 0 {
		t.Errorf("load = %d ops, %d latencies, %d errors, rate %v", l.Ops, len(l.Latencies), l.Errors, l.Rate())
	}
}

func TestRunClosedLoopReportsErrors(t *testing.T) {
	boom := errors.New("boom")
	l := RunClosedLoop(context.Background(), 2, Phase{Measure: 20 * time.Millisecond}, func(context.Context, int, int) error {
		time.Sleep(time.Millisecond)
		return boom
	})
	if l.Errors == 0 || !errors.Is(l.FirstErr, boom) || l.Ops != 0 {
		t.Errorf("load = %d ops, %d errors, first %v; want only errors, boom first", l.Ops, l.Errors, l.FirstErr)
	}
}

func TestRunClosedLoopLeavesWarmupOut(t *testing.T) {
	var mu sync.Mutex
	var calls int
	l := RunClosedLoop(context.Background(), 1, Phase{Warmup: 30 * time.Millisecond, Measure: time.Nanosecond}, func(context.Context, int, int) error {
		mu.Lock()
		calls++
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return nil
	})
	if calls == 0 || l.Ops >= calls {
		t.Errorf("%d calls, %d counted: the warm-up's calls must not count", calls, l.Ops)
	}
}
