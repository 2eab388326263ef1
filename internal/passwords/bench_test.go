package passwords

import (
	"context"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// Benchmarks at upstream's production costs (run with -bench; excluded from
// the unit tests because of traps.md #8).

func benchVerify(b *testing.B, s Scheme) {
	ctx := context.Background()
	s.Version = 1
	m := mustNew(b, Options{Concurrency: 1}, s)
	_, hash, err := m.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Verify(ctx, 1, hash, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyArgon2idDefault: m=19456 KiB, t=2, p=1, the cost of one
// compat m.login.password at upstream defaults.
func BenchmarkVerifyArgon2idDefault(b *testing.B) {
	benchVerify(b, Scheme{Algorithm: AlgorithmArgon2id})
}

// The peppered path differs from the unpeppered one only in H0, so the two
// should cost the same.
func BenchmarkVerifyArgon2idDefaultPepper(b *testing.B) {
	benchVerify(b, Scheme{Algorithm: AlgorithmArgon2id, Secret: []byte("a-secret-pepper")})
}

// BenchmarkVerifyBcrypt12: the first login of a user imported from Synapse.
func BenchmarkVerifyBcrypt12(b *testing.B) {
	benchVerify(b, Scheme{Algorithm: AlgorithmBcrypt, Cost: 12, UnicodeNormalization: true, Secret: []byte("pepper")})
}

func BenchmarkVerifyPBKDF2Default(b *testing.B) {
	benchVerify(b, Scheme{Algorithm: AlgorithmPBKDF2})
}

// Reference point: x/crypto's argon2id (SSE4.1 assembly on amd64) at the same
// costs, without a secret since it cannot take one.
func BenchmarkArgon2idXCryptoReference(b *testing.B) {
	salt := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		xargon2.IDKey([]byte("correct horse battery staple"), salt, 2, 19456, 1, 32)
	}
}

// Parallel logins through a pool sized to the CPUs: throughput, not latency.
func benchVerifyParallel(b *testing.B, s Scheme) {
	ctx := context.Background()
	s.Version = 1
	m := mustNew(b, Options{}, s)
	_, hash, err := m.Hash(ctx, "pw")
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Verify(ctx, 1, hash, "pw"); err != nil {
				b.Error(err)
			}
		}
	})
}

func BenchmarkVerifyArgon2idDefaultParallel(b *testing.B) {
	benchVerifyParallel(b, Scheme{Algorithm: AlgorithmArgon2id})
}

// Peppered logins: the pepper is argon2's secret input K.
func BenchmarkVerifyArgon2idDefaultPepperParallel(b *testing.B) {
	benchVerifyParallel(b, Scheme{Algorithm: AlgorithmArgon2id, Secret: []byte("a-secret-pepper")})
}

// The ceiling of the parallel benchmarks: x/crypto with every core
// hashing, no pool.
func BenchmarkArgon2idXCryptoParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		salt := make([]byte, 16)
		for pb.Next() {
			xargon2.IDKey([]byte("pw"), salt, 2, 19456, 1, 32)
		}
	})
}
