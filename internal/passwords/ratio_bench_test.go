package passwords

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	xargon2 "golang.org/x/crypto/argon2"
)

// BenchmarkArgon2idParallelRatio interleaves bursts of raw x/crypto IDKey
// hashes, unpeppered Verify and peppered Verify, every core busy, and
// reports each rate and its ratio to x/crypto's. Interleaving makes the
// ratio fair on a machine whose load changes while it runs. Upstream
// costs (m=19456, t=2, p=1); each b.N iteration is one round of the three.
func BenchmarkArgon2idParallelRatio(b *testing.B) {
	ctx := context.Background()
	workers := runtime.GOMAXPROCS(0)
	const perWorker = 4
	plain := mustNew(b, Options{}, Scheme{Version: 1, Algorithm: AlgorithmArgon2id})
	peppered := mustNew(b, Options{}, Scheme{Version: 1, Algorithm: AlgorithmArgon2id, Secret: []byte("a-secret-pepper")})
	_, plainHash, err := plain.Hash(ctx, "pw")
	if err != nil {
		b.Fatal(err)
	}
	_, pepperHash, err := peppered.Hash(ctx, "pw")
	if err != nil {
		b.Fatal(err)
	}
	salt := make([]byte, 16)
	burst := func(f func()) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range perWorker {
					f()
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	verify := func(m *Manager, hash string) func() {
		return func() {
			if _, err := m.Verify(ctx, 1, hash, "pw"); err != nil {
				b.Error(err)
			}
		}
	}
	var raw, ours, pepper time.Duration
	runs := []struct {
		total *time.Duration
		f     func()
	}{
		{&raw, func() { xargon2.IDKey([]byte("pw"), salt, 2, 19456, 1, 32) }},
		{&ours, verify(plain, plainHash)},
		{&pepper, verify(peppered, pepperHash)},
	}
	round := 0
	for b.Loop() {
		// Rotate the order: whichever runs first after the others pays
		// for their garbage.
		for i := range runs {
			r := runs[(round+i)%len(runs)]
			*r.total += burst(r.f)
		}
		round++
	}
	n := float64(b.N * workers * perWorker)
	b.ReportMetric(n/raw.Seconds(), "xcrypto-hashes/s")
	b.ReportMetric(n/ours.Seconds(), "verify-hashes/s")
	b.ReportMetric(n/pepper.Seconds(), "pepper-hashes/s")
	b.ReportMetric(raw.Seconds()/ours.Seconds(), "verify-ratio")
	b.ReportMetric(raw.Seconds()/pepper.Seconds(), "pepper-ratio")
}
