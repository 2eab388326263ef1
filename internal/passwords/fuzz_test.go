package passwords

import (
	"context"
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary stored hashes to every scheme. Parsing must
// never panic and must fail with ErrMalformedHash; hashes that parse and are
// cheap enough are verified in full (which must not panic either).
func FuzzVerify(f *testing.F) {
	seeds := []string{
		"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$xS5rdTl7ppbYZoS3aZJQSPuBks4p4O+PSmBqGMMe/7U",
		"$argon2d$v=19$m=32,t=1,p=1,data=YXNzb2M$AAECAwQFBgcICQoLDA0ODw$XtnW/bhJBcUePBUgplSGwzNMe3LPBtTVJ/1dyhqHw4Q",
		"$argon2i$v=16$m=96,t=2,p=3,keyid=AAAA$AAECAwQFBgcICQoLDA0ODw$wXjs+3PLgaWfMjhNrhSpm8Kzf4dUc3wne+TKWDaIM4Q",
		"$argon2id$AAECAwQFBgcICQoLDA0ODw$xS5rdTl7ppbYZoS3aZJQSPuBks4p4O+PSmBqGMMe/7U",
		"$2b$04$JWDO3qwZJCi.1tjRbieYZOzCDA4TScIWZT/i1zno9kfyvJfZ/uxdS",
		"$2y$05$z1xFElKlY0jR0gcWpkB65.XBU5z6yOXXi.xqgCWJFY3E7Vuxglhuq",
		"$pbkdf2-sha256$i=1000,l=32$AAECAwQFBgcICQoLDA0ODw$5BIO8zzDE9tXdSnc5jn7x6Nz7dSR/FyfFjfe2g21az0",
		"$pbkdf2-sha512$i=10,l=64$AAECAwQFBgcICQoLDA0ODw$EFEdys9ZfcV9f0/GLMLvDalzZYpKPXK7CyNg0WV8++7HNGJUnjDXD/RhZkuoZpfsX+0iiYfKwIcryRQFr1UDAQ",
		"", "$", "$$$$$$", "$argon2id$v=19$m=,t=,p=$$", "$2b$99$", "$pbkdf2-sha256$i=1,l=0$A$A",
	}
	for _, s := range seeds {
		f.Add(s, "hunter2")
	}
	m := mustNew(f, Options{Concurrency: 1},
		cheap(1, AlgorithmArgon2id, false, "pepper"),
		cheap(2, AlgorithmBcrypt, true, "pepper"),
		cheap(3, AlgorithmPBKDF2, false, ""))
	// Verification work a single fuzz input may trigger: argon2 m*t in KiB,
	// bcrypt 2^cost, pbkdf2 iterations.
	limits := map[int]uint64{1: 1 << 12, 2: 1 << 6, 3: 1 << 14}
	f.Fuzz(func(t *testing.T, hash, password string) {
		for version := 1; version <= 3; version++ {
			parsed, err := m.schemes[version].alg.parse(hash)
			if err != nil {
				if !errors.Is(err, ErrMalformedHash) {
					t.Fatalf("scheme %d: parse error %v is not ErrMalformedHash", version, err)
				}
				if _, verr := m.Verify(context.Background(), version, hash, password); !errors.Is(verr, ErrMalformedHash) {
					t.Fatalf("scheme %d: parse failed (%v) but Verify returned %v", version, err, verr)
				}
				continue
			}
			if parsed.cost() > limits[version] {
				continue
			}
			up, err := m.Verify(context.Background(), version, hash, password)
			if err != nil && !errors.Is(err, ErrMismatch) {
				t.Fatalf("scheme %d: parsed hash failed verification with %v", version, err)
			}
			if err == nil && version != 3 && up == nil {
				t.Fatalf("scheme %d: match without upgrade", version)
			}
		}
	})
}
