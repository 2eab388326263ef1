package passwords

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xbcrypt "golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// Cheap costs: real costs are benchmarked, not unit-tested (traps.md #8).
var cheapArgon2 = &Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func cheap(version int, algorithm string, normalize bool, secret string) Scheme {
	s := Scheme{Version: version, Algorithm: algorithm, UnicodeNormalization: normalize,
		Cost: 4, Argon2: cheapArgon2, PBKDF2Iterations: 1000}
	if secret != "" {
		s.Secret = []byte(secret)
	}
	return s
}

func mustNew(t testing.TB, opts Options, schemes ...Scheme) *Manager {
	t.Helper()
	m, err := New(schemes, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// countingReader yields 0, 1, 2, … so that salts are predictable.
type countingReader struct{ n byte }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

var formats = map[string]*regexp.Regexp{
	AlgorithmArgon2id: regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`),
	AlgorithmBcrypt:   regexp.MustCompile(`^\$2b\$04\$[./A-Za-z0-9]{53}$`),
	AlgorithmPBKDF2:   regexp.MustCompile(`^\$pbkdf2-sha256\$i=1000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`),
}

func TestHashAndVerify(t *testing.T) {
	ctx := context.Background()
	// "ﬁ" (U+FB01) and "①" become "fi" and "1" under NFKC.
	const password = "ﬁne pässwörd ①"
	nfkc := norm.NFKC.String(password)
	if nfkc == password {
		t.Fatal("test password must change under NFKC")
	}
	for _, alg := range []string{AlgorithmArgon2id, AlgorithmBcrypt, AlgorithmPBKDF2} {
		for _, pepper := range []string{"", "a-secret-pepper"} {
			for _, normalize := range []bool{false, true} {
				name := alg
				if pepper != "" {
					name += "/pepper"
				}
				if normalize {
					name += "/nfkc"
				}
				t.Run(name, func(t *testing.T) {
					m := mustNew(t, Options{}, cheap(1, alg, normalize, pepper))
					version, hash, err := m.Hash(ctx, password)
					if err != nil {
						t.Fatal(err)
					}
					if version != 1 {
						t.Errorf("version = %d, want 1", version)
					}
					if !formats[alg].MatchString(hash) {
						t.Errorf("hash %q has the wrong format", hash)
					}
					_, hash2, _ := m.Hash(ctx, password)
					if hash2 == hash {
						t.Error("two hashes of one password are equal: salt not random")
					}

					if up, err := m.Verify(ctx, 1, hash, password); err != nil || up != nil {
						t.Errorf("Verify(right password) = %v, %v; want nil, nil", up, err)
					}
					if _, err := m.Verify(ctx, 1, hash, password+"x"); !errors.Is(err, ErrMismatch) {
						t.Errorf("Verify(wrong password) = %v, want ErrMismatch", err)
					}
					_, err = m.Verify(ctx, 1, hash, nfkc)
					if normalize && err != nil {
						t.Errorf("Verify(NFKC form) with normalisation = %v, want match", err)
					}
					if !normalize && !errors.Is(err, ErrMismatch) {
						t.Errorf("Verify(NFKC form) without normalisation = %v, want ErrMismatch", err)
					}

					// The pepper is part of the hash: another pepper, or none,
					// must not verify it.
					other := mustNew(t, Options{}, cheap(1, alg, normalize, pepper+"-other"))
					if _, err := other.Verify(ctx, 1, hash, password); !errors.Is(err, ErrMismatch) {
						t.Errorf("Verify with a different pepper = %v, want ErrMismatch", err)
					}
				})
			}
		}
	}
}

// Hashes made by other implementations: the reference C argon2 library
// (Debian's libargon2, through ctypes), Python's bcrypt as Synapse calls it,
// and Python's hashlib pbkdf2_hmac; the salt is bytes 0..15.
func TestVerifyForeignHashes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		scheme   Scheme
		password string
		hash     string
	}{
		{"argon2id defaults with pepper", Scheme{Algorithm: AlgorithmArgon2id, Secret: []byte("a-secret-pepper")}, "hunter2",
			"$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw$pBO8lmE591qQlgGS1BdzBkavE/+2YVpBVXq4jHFcrnU"},
		{"argon2id defaults", Scheme{Algorithm: AlgorithmArgon2id}, "hunter2",
			"$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw$xS5rdTl7ppbYZoS3aZJQSPuBks4p4O+PSmBqGMMe/7U"},
		{"argon2id version 16", Scheme{Algorithm: AlgorithmArgon2id, Secret: []byte("a-secret-pepper")}, "hunter2",
			"$argon2id$v=16$m=64,t=3,p=2$AAECAwQFBgcICQoLDA0ODw$K/E1/rKU5vT9EdT6NWX2xhCQKdgDSDt+9q7fKXf0DbQ"},
		{"argon2i three lanes", Scheme{Algorithm: AlgorithmArgon2id, Secret: []byte("k")}, "pässwörd",
			"$argon2i$v=19$m=96,t=2,p=3$AAECAwQFBgcICQoLDA0ODw$wXjs+3PLgaWfMjhNrhSpm8Kzf4dUc3wne+TKWDaIM4Q"},
		{"argon2d with associated data", Scheme{Algorithm: AlgorithmArgon2id, Secret: []byte("a-secret-pepper")}, "hunter2",
			"$argon2d$v=19$m=32,t=1,p=1,data=YXNzb2M$AAECAwQFBgcICQoLDA0ODw$XtnW/bhJBcUePBUgplSGwzNMe3LPBtTVJ/1dyhqHw4Q"},
		{"synapse bcrypt, NFKC and pepper", Scheme{Algorithm: AlgorithmBcrypt, UnicodeNormalization: true, Secret: []byte("a-secret-pepper")},
			"ﬁne Ｐassword①", "$2b$04$JWDO3qwZJCi.1tjRbieYZOzCDA4TScIWZT/i1zno9kfyvJfZ/uxdS"},
		{"synapse bcrypt, same password already normalised", Scheme{Algorithm: AlgorithmBcrypt, UnicodeNormalization: true, Secret: []byte("a-secret-pepper")},
			"fine Password1", "$2b$04$JWDO3qwZJCi.1tjRbieYZOzCDA4TScIWZT/i1zno9kfyvJfZ/uxdS"},
		{"synapse bcrypt, truncated at 72 bytes", Scheme{Algorithm: AlgorithmBcrypt, UnicodeNormalization: true, Secret: []byte("a-secret-pepper")},
			strings.Repeat("x", 70) + "ta-and-anything-after", "$2b$04$k9SDiNXtCXduXa/QMKIGRuBlSqeb0WoV5YwiWismswxFsJ1BIHutq"},
		{"bcrypt $2a$", Scheme{Algorithm: AlgorithmBcrypt}, "hunter2", "$2a$05$z1xFElKlY0jR0gcWpkB65.XBU5z6yOXXi.xqgCWJFY3E7Vuxglhuq"},
		{"pbkdf2 with pepper", Scheme{Algorithm: AlgorithmPBKDF2, Secret: []byte("a-secret-pepper")}, "hunter2",
			"$pbkdf2-sha256$i=1000,l=32$AAECAwQFBgcICQoLDA0ODw$5BIO8zzDE9tXdSnc5jn7x6Nz7dSR/FyfFjfe2g21az0"},
		{"pbkdf2-sha512", Scheme{Algorithm: AlgorithmPBKDF2}, "hunter2",
			"$pbkdf2-sha512$i=1000,l=64$AAECAwQFBgcICQoLDA0ODw$EFEdys9ZfcV9f0/GLMLvDalzZYpKPXK7CyNg0WV8++7HNGJUnjDXD/RhZkuoZpfsX+0iiYfKwIcryRQFr1UDAQ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.scheme.Version = 1
			m := mustNew(t, Options{}, tt.scheme)
			if _, err := m.Verify(ctx, 1, tt.hash, tt.password); err != nil {
				t.Errorf("Verify = %v, want match", err)
			}
			if _, err := m.Verify(ctx, 1, tt.hash, tt.password[1:]); !errors.Is(err, ErrMismatch) {
				t.Errorf("Verify(wrong) = %v, want ErrMismatch", err)
			}
		})
	}
}

// With the salt fixed, the whole argon2id output must be byte-identical to
// the reference library's, format included.
func TestArgon2idHashIsInterchangeable(t *testing.T) {
	m := mustNew(t, Options{Rand: &countingReader{}},
		Scheme{Version: 1, Algorithm: AlgorithmArgon2id, Secret: []byte("a-secret-pepper")})
	_, hash, err := m.Hash(context.Background(), "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	const want = "$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw$pBO8lmE591qQlgGS1BdzBkavE/+2YVpBVXq4jHFcrnU"
	if hash != want {
		t.Errorf("Hash = %s\nwant   %s", hash, want)
	}
}

// Synapse stores bcrypt(NFKC(password) ‖ pepper) with the $2b$ prefix;
// syn2mas copies it as scheme version 1.
func TestSynapseImportedHash(t *testing.T) {
	const pepper = "synapse-pepper"
	const password = "Ｃorrect ｈorse ①"
	input := []byte(norm.NFKC.String(password) + pepper)
	raw, err := xbcrypt.GenerateFromPassword(input, 4)
	if err != nil {
		t.Fatal(err)
	}
	hash := "$2b$" + strings.TrimPrefix(string(raw), "$2a$")

	m := mustNew(t, Options{},
		Scheme{Version: 1, Algorithm: AlgorithmBcrypt, UnicodeNormalization: true, Secret: []byte(pepper)},
		cheap(2, AlgorithmArgon2id, false, ""))
	up, err := m.Verify(context.Background(), 1, hash, password)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if up == nil || up.Version != 2 || !strings.HasPrefix(up.Hash, "$argon2id$") {
		t.Fatalf("upgrade = %+v, want an argon2id hash with version 2", up)
	}
}

func TestBcryptInteroperatesWithXCrypto(t *testing.T) {
	ctx := context.Background()
	m := mustNew(t, Options{}, cheap(1, AlgorithmBcrypt, false, ""))
	for _, password := range []string{"", "hunter2", strings.Repeat("é", 36)} {
		_, hash, err := m.Hash(ctx, password)
		if err != nil {
			t.Fatal(err)
		}
		if err := xbcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
			t.Errorf("x/crypto rejects our hash of %q: %v", password, err)
		}
		theirs, _ := xbcrypt.GenerateFromPassword([]byte(password), 4)
		if _, err := m.Verify(ctx, 1, string(theirs), password); err != nil {
			t.Errorf("we reject x/crypto's hash of %q: %v", password, err)
		}
	}
	// Beyond 72 bytes only the first 72 count, for hashing and verifying.
	long := strings.Repeat("p", 72)
	_, hash, _ := m.Hash(ctx, long+"one tail")
	if _, err := m.Verify(ctx, 1, hash, long+"another tail"); err != nil {
		t.Errorf("bytes past 72 changed the result: %v", err)
	}
	if err := xbcrypt.CompareHashAndPassword([]byte(hash), []byte(long)); err != nil {
		t.Errorf("x/crypto disagrees on the truncated password: %v", err)
	}
}

// The upgrade path upstream exercises: Synapse-style bcrypt v1, then argon2id
// v2, then a peppered argon2id v3.
func TestUpgradeOnLogin(t *testing.T) {
	ctx := context.Background()
	const password, wrong = "hunter2", "wrong-password"
	v1 := cheap(1, AlgorithmBcrypt, true, "a-secret-pepper")
	v2 := cheap(2, AlgorithmArgon2id, false, "")
	v3 := cheap(3, AlgorithmArgon2id, false, "a-secret-pepper")

	m1 := mustNew(t, Options{}, v1)
	version, hash, err := m1.Hash(ctx, password)
	if err != nil || version != 1 {
		t.Fatalf("Hash = %d, %v", version, err)
	}
	if up, err := m1.Verify(ctx, version, hash, password); err != nil || up != nil {
		t.Fatalf("Verify on the newest scheme = %+v, %v; want no upgrade", up, err)
	}
	if _, err := m1.Verify(ctx, 2, hash, password); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("Verify(version 2) = %v, want ErrUnknownScheme", err)
	}

	// Order of the list does not matter: the highest version is the newest.
	m2 := mustNew(t, Options{}, v1, v2)
	if m2.Newest() != 2 {
		t.Fatalf("Newest = %d", m2.Newest())
	}
	if up, err := m2.Verify(ctx, version, hash, wrong); !errors.Is(err, ErrMismatch) || up != nil {
		t.Fatalf("wrong password = %+v, %v; want ErrMismatch and no upgrade", up, err)
	}
	up, err := m2.Verify(ctx, version, hash, password)
	if err != nil {
		t.Fatal(err)
	}
	if up == nil || up.Version != 2 || !formats[AlgorithmArgon2id].MatchString(up.Hash) {
		t.Fatalf("upgrade = %+v", up)
	}
	version, hash = up.Version, up.Hash
	if again, err := m2.Verify(ctx, version, hash, password); err != nil || again != nil {
		t.Fatalf("Verify after upgrade = %+v, %v", again, err)
	}

	m3 := mustNew(t, Options{}, v3, v2, v1)
	up, err = m3.Verify(ctx, version, hash, password)
	if err != nil || up == nil || up.Version != 3 {
		t.Fatalf("second upgrade = %+v, %v", up, err)
	}
	if _, err := m3.Verify(ctx, 3, up.Hash, password); err != nil {
		t.Fatal(err)
	}
	// v3 is peppered: v2's unpeppered hasher cannot verify it.
	if _, err := m2.Verify(ctx, 2, up.Hash, password); !errors.Is(err, ErrMismatch) {
		t.Errorf("peppered hash verified without pepper: %v", err)
	}
	if got := m3.Versions(); len(got) != 3 || got[0] != 3 || got[2] != 1 {
		t.Errorf("Versions = %v", got)
	}
}

func TestVerifyMalformed(t *testing.T) {
	m := mustNew(t, Options{},
		cheap(1, AlgorithmArgon2id, false, ""),
		cheap(2, AlgorithmBcrypt, false, ""),
		cheap(3, AlgorithmPBKDF2, false, ""))
	const salt = "AAECAwQFBgcICQoLDA0ODw"
	const out = "xS5rdTl7ppbYZoS3aZJQSPuBks4p4O+PSmBqGMMe/7U"
	const bsalt = "JWDO3qwZJCi.1tjRbieYZO"
	const bsum = "zCDA4TScIWZT/i1zno9kfyvJfZ/uxdS"
	tests := []struct {
		version int
		hash    string
		want    string // part of the error message
	}{
		{1, "", "does not start with '$'"},
		{1, "argon2id$v=19", "does not start with '$'"},
		{1, "$", "invalid algorithm identifier"},
		{1, "$ARGON2ID$v=19$m=64,t=1,p=1$" + salt + "$" + out, "invalid algorithm identifier"},
		{1, "$2b$04$" + bsalt + bsum, "expected an argon2 hash"},
		{1, "$pbkdf2-sha256$i=1000,l=32$" + salt + "$" + out, "expected an argon2 hash"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$" + salt, "missing argon2 hash"},
		{1, "$argon2id$v=19$m=64,t=1,p=1", "missing argon2 salt"},
		{1, "$argon2id$v=18$m=64,t=1,p=1$" + salt + "$" + out, "unsupported argon2 version"},
		{1, "$argon2id$v=019$m=64,t=1,p=1$" + salt + "$" + out, "leading zero"},
		{1, "$argon2id$v=$m=64,t=1,p=1$" + salt + "$" + out, "empty number"},
		{1, "$argon2id$v=19$m=64,t=1,t=2$" + salt + "$" + out, "duplicate parameter"},
		{1, "$argon2id$v=19$m=64,t=1,x=2$" + salt + "$" + out, "unknown argon2 parameter"},
		{1, "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + out, "not a decimal number"},
		{1, "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + out, "does not fit in 32 bits"},
		{1, "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + out, "memory 4294967295 KiB out of range"},
		{1, "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + out, "time cost 0 out of range"},
		{1, "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + out, "parallelism 0 out of range"},
		{1, "$argon2id$v=19$m=64,t=1,p=9$" + salt + "$" + out, "memory 64 KiB out of range"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + out, "argon2 salt shorter than 8 bytes"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAB", "not valid unpadded base64"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$A", "not valid unpadded base64"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAA", "argon2 hash shorter than 4 bytes"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + out + "=", "not valid unpadded base64"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 200), "longer than 64 bytes"},
		{1, "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + out + "$extra", "too many"},
		{1, "$argon2id$v=19$m=64,t=1,p=1,keyid=" + strings.Repeat("A", 20) + "$" + salt + "$" + out, "keyid longer"},
		{2, "", "must be 60 characters long"},
		{2, "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + out, `got a "argon2id" hash`},
		{2, "$2c$04$" + bsalt + bsum, "unknown bcrypt version"},
		{2, "$2b$4x$" + bsalt + bsum, "is not a number"},
		{2, "$2b$03$" + bsalt + bsum, "bcrypt cost 3 out of range"},
		{2, "$2b$32$" + bsalt + bsum, "bcrypt cost 32 out of range"},
		{2, "$2b$04$" + "!" + bsalt[1:] + bsum, "salt is not valid"},
		{2, "$2b$04$" + bsalt + bsum[:30] + "$", "checksum is not valid"},
		{2, "x2b$04$" + bsalt + bsum, "not a bcrypt hash"},
		{3, "$pbkdf2-sha1$i=1000,l=32$" + salt + "$" + out, "expected a pbkdf2-sha256 hash"},
		{3, "$pbkdf2-sha256$v=1$i=1000,l=32$" + salt + "$" + out, "no version field"},
		{3, "$pbkdf2-sha256$i=0,l=32$" + salt + "$" + out, "iterations 0 out of range"},
		{3, "$pbkdf2-sha256$i=4294967295,l=32$" + salt + "$" + out, "out of range"},
		{3, "$pbkdf2-sha256$i=1000,l=16$" + salt + "$" + out, "l=16 but the stored hash is 32 bytes"},
		{3, "$pbkdf2-sha256$i=1000,n=16$" + salt + "$" + out, "unknown pbkdf2 parameter"},
		{3, "$pbkdf2-sha256$i=1000,l=32$$" + out, "missing pbkdf2 salt"},
		{3, "$pbkdf2-sha256$i=1000,l=32$" + salt + "$AAAA", "pbkdf2 hash shorter than 10 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.hash, func(t *testing.T) {
			up, err := m.Verify(context.Background(), tt.version, tt.hash, "hunter2")
			if !errors.Is(err, ErrMalformedHash) || up != nil {
				t.Fatalf("Verify = %+v, %v; want ErrMalformedHash", up, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	if _, err := m.Verify(context.Background(), 7, "", "x"); !errors.Is(err, ErrUnknownScheme) ||
		!strings.Contains(err.Error(), "7 (configured: [3 2 1])") {
		t.Errorf("unknown version: %v", err)
	}
}

func TestNewRejectsBadSchemes(t *testing.T) {
	tests := []struct {
		name    string
		schemes []Scheme
		opts    Options
		want    string
	}{
		{"empty", nil, Options{}, "at least one"},
		{"duplicate", []Scheme{cheap(1, AlgorithmBcrypt, false, ""), cheap(1, AlgorithmArgon2id, false, "")}, Options{}, "more than once"},
		{"negative version", []Scheme{cheap(-1, AlgorithmBcrypt, false, "")}, Options{}, "out of range"},
		{"unknown algorithm", []Scheme{cheap(1, "scrypt", false, "")}, Options{}, `unknown algorithm "scrypt"`},
		{"bcrypt cost", []Scheme{{Version: 1, Algorithm: AlgorithmBcrypt, Cost: 3}}, Options{}, "bcrypt cost 3"},
		{"argon2 memory", []Scheme{{Version: 1, Algorithm: AlgorithmArgon2id, Argon2: &Argon2Params{MemoryKiB: 4, Iterations: 1, Parallelism: 1}}}, Options{}, "memory 4 KiB"},
		{"argon2 zero", []Scheme{{Version: 1, Algorithm: AlgorithmArgon2id, Argon2: &Argon2Params{}}}, Options{}, "parallelism 0"},
		{"pbkdf2 iterations", []Scheme{{Version: 1, Algorithm: AlgorithmPBKDF2, PBKDF2Iterations: -5}}, Options{}, "iterations -5"},
		{"concurrency", []Scheme{cheap(1, AlgorithmBcrypt, false, "")}, Options{Concurrency: -1}, "concurrency"},
		{"complexity", []Scheme{cheap(1, AlgorithmBcrypt, false, "")}, Options{MinimumComplexity: 5}, "complexity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.schemes, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	m := mustNew(t, Options{},
		Scheme{Version: 1, Algorithm: AlgorithmBcrypt},
		Scheme{Version: 2, Algorithm: AlgorithmPBKDF2},
		Scheme{Version: 3, Algorithm: AlgorithmArgon2id})
	if got := m.schemes[1].alg.(*bcryptHasher).cost; got != 12 {
		t.Errorf("bcrypt default cost = %d, want 12", got)
	}
	if got := m.schemes[2].alg.(*pbkdf2Hasher).iterations; got != 600000 {
		t.Errorf("pbkdf2 default iterations = %d, want 600000", got)
	}
	if got := m.schemes[3].alg.(*argon2Hasher).params; got != (Argon2Params{19456, 2, 1}) {
		t.Errorf("argon2 default params = %+v", got)
	}
	for v, prefix := range map[int]string{1: "$2b$12$", 2: "$pbkdf2-sha256$i=600000,l=32$", 3: "$argon2id$v=19$m=19456,t=2,p=1$"} {
		h, err := m.schemes[v].alg.dummy(&countingReader{})
		if err != nil || !strings.HasPrefix(h, prefix) {
			t.Errorf("scheme %d: dummy %q, %v; want prefix %q", v, h, err, prefix)
		}
	}
	if got := m.Stats().Capacity; got < 1 {
		t.Errorf("default concurrency = %d", got)
	}
}

func TestDisabled(t *testing.T) {
	m := Disabled()
	ctx := context.Background()
	if m.Enabled() || m.Newest() != -1 || m.Versions() != nil {
		t.Error("disabled manager reports itself enabled")
	}
	if _, _, err := m.Hash(ctx, "x"); !errors.Is(err, ErrDisabled) {
		t.Errorf("Hash = %v", err)
	}
	if _, err := m.Verify(ctx, 1, "x", "x"); !errors.Is(err, ErrDisabled) {
		t.Errorf("Verify = %v", err)
	}
	if err := m.DummyVerify(ctx); !errors.Is(err, ErrDisabled) {
		t.Errorf("DummyVerify = %v", err)
	}
	if !mustNew(t, Options{}, cheap(1, AlgorithmBcrypt, false, "")).Enabled() {
		t.Error("manager reports itself disabled")
	}
}

func TestDummyVerify(t *testing.T) {
	ctx := context.Background()
	m := mustNew(t, Options{},
		cheap(1, AlgorithmPBKDF2, false, ""),
		Scheme{Version: 2, Algorithm: AlgorithmBcrypt, Cost: 10})
	if err := m.DummyVerify(ctx); err != nil {
		t.Fatal(err)
	}
	// The dummy ran one computation through the pool, on a hash of the
	// newest scheme (checked below), so it costs what a real one does.
	if n := m.Stats().Completed; n != 1 {
		t.Errorf("DummyVerify ran %d computations, want 1", n)
	}
	if p, ok := m.dummy.(*bcryptParsed); !ok || p.logCost != 10 {
		t.Errorf("dummy hash %#v is not bcrypt cost 10", m.dummy)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.DummyVerify(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("DummyVerify(cancelled) = %v", err)
	}

	a := mustNew(t, Options{}, cheap(1, AlgorithmArgon2id, false, "pepper"))
	if err := a.DummyVerify(ctx); err != nil {
		t.Fatal(err)
	}
	if p, ok := a.dummy.(*argon2Parsed); !ok || p.in.memoryKiB != 64 || p.in.variant != argon2id {
		t.Errorf("dummy hash %#v does not use the scheme's argon2 costs", a.dummy)
	}
}

func TestPoolBound(t *testing.T) {
	ctx := context.Background()
	m := mustNew(t, Options{Concurrency: 1}, cheap(1, AlgorithmArgon2id, false, ""))
	_, hash, err := m.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}

	// Occupy the only slot, as a slow verification would.
	if err := m.pool.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := m.Verify(ctx, 1, hash, "hunter2")
		done <- err
	}()
	waitFor(t, func() bool { return m.Stats().Waiting == 1 })
	select {
	case err := <-done:
		t.Fatalf("Verify finished while the pool was full: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if s := m.Stats(); s.Capacity != 1 || s.Running != 1 || s.Waiting != 1 {
		t.Errorf("Stats = %+v", s)
	}

	// A caller whose context ends while queued gives up promptly.
	timeout, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := m.Hash(timeout, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash with expiring context = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled Hash took %v", d)
	}

	m.pool.release()
	if err := <-done; err != nil {
		t.Fatalf("queued Verify = %v", err)
	}
	waitFor(t, func() bool { s := m.Stats(); return s.Capacity == 1 && s.Running == 0 && s.Waiting == 0 })

	// An already-ended context never takes a slot, even a free one.
	cancelled, cancelNow := context.WithCancel(ctx)
	cancelNow()
	if _, err := m.Verify(cancelled, 1, hash, "hunter2"); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify(cancelled) = %v", err)
	}
}

func TestPoolNeverExceedsConcurrency(t *testing.T) {
	const limit, callers = 2, 12
	p := newPool(limit)
	var inside, peak atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range 5 {
				if err := p.acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				time.Sleep(200 * time.Microsecond)
				inside.Add(-1)
				p.release()
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got != limit {
		t.Errorf("peak holders = %d, want %d", got, limit)
	}

	// The same through the Manager, sampling its running count.
	m := mustNew(t, Options{Concurrency: limit}, cheap(1, AlgorithmArgon2id, false, ""))
	var sampledPeak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if r := m.Stats().Running; r > sampledPeak.Load() {
				sampledPeak.Store(r)
			}
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	for range callers {
		wg.Go(func() {
			for range 5 {
				if _, _, err := m.Hash(context.Background(), "pw"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	if got := sampledPeak.Load(); got > limit {
		t.Errorf("peak running = %d, want at most %d", got, limit)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestComplexity(t *testing.T) {
	tests := []struct {
		password string
		inputs   []string
		min, max int
	}{
		{"", nil, 0, 0},
		{"password", nil, 0, 0},
		{"hunter2", nil, 0, 1},
		{"alice1990", []string{"alice"}, 0, 1},
		{"correct horse battery staple", nil, 4, 4},
		{"wen\x8e\xc6", nil, 0, 0},
	}
	for _, tt := range tests {
		if got := Complexity(tt.password, tt.inputs); got < tt.min || got > tt.max {
			t.Errorf("Complexity(%q) = %d, want %d..%d", tt.password, got, tt.min, tt.max)
		}
	}
	// zxcvbn is superlinear; a huge password must still be scored quickly.
	start := time.Now()
	Complexity(strings.Repeat("aB3$x", 20000), nil)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("scoring a 100 kB password took %v", d)
	}

	m := mustNew(t, Options{MinimumComplexity: 3}, cheap(1, AlgorithmBcrypt, false, ""))
	if m.ComplexEnough("hunter2", nil) || !m.ComplexEnough("correct horse battery staple", nil) {
		t.Error("ComplexEnough disagrees with the minimum of 3")
	}
}
