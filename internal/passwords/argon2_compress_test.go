package passwords

import (
	"math/rand/v2"
	"testing"
)

// The AVX2 form of G must agree with the portable one word for word, with
// and without the XOR into out, and when out aliases y (as the address
// generator calls it). On CPUs without AVX2 both calls are the portable
// code and the test is trivially true; the RFC vectors cover whichever
// runs.
func TestArgon2CompressForms(t *testing.T) {
	t.Logf("AVX2: %v", argon2AVX2)
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(b *argon2Block) {
		for i := range b {
			b[i] = rng.Uint64()
		}
	}
	var s1, s2 argon2Scratch
	for round := range 200 {
		var x, y, out argon2Block
		fill(&x)
		fill(&y)
		fill(&out)
		xor := round%2 == 1
		want, got := out, out
		argon2CompressGeneric(&want, &x, &y, xor, &s1)
		argon2Compress(&got, &x, &y, xor, &s2)
		if got != want {
			t.Fatalf("round %d (xor %v): forms differ", round, xor)
		}
		wantAlias, gotAlias := y, y
		argon2CompressGeneric(&wantAlias, &x, &wantAlias, xor, &s1)
		argon2Compress(&gotAlias, &x, &gotAlias, xor, &s2)
		if gotAlias != wantAlias {
			t.Fatalf("round %d (xor %v): forms differ when out aliases y", round, xor)
		}
	}
}

// BenchmarkArgon2Compress compares the forms of G on one block in cache.
func BenchmarkArgon2Compress(b *testing.B) {
	var x, y, out argon2Block
	var s argon2Scratch
	for i := range x {
		x[i], y[i] = uint64(i)*0x9e3779b97f4a7c15, uint64(i)^0xdeadbeef
	}
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			argon2CompressGeneric(&out, &x, &y, true, &s)
		}
	})
	b.Run("dispatch", func(b *testing.B) {
		for b.Loop() {
			argon2Compress(&out, &x, &y, true, &s)
		}
	})
}
