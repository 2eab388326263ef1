package passwords

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 9106 §5.1–5.3: m=32 KiB, t=3, p=4, T=32, with both a secret (K) and
// associated data (X), which is exactly the code path x/crypto cannot reach.
func TestArgon2RFC9106Vectors(t *testing.T) {
	tests := []struct {
		variant argon2Variant
		h0      string
		tag     string
	}{
		{argon2d, "", "51 2b 39 1b 6f 11 62 97 53 71 d3 09 19 73 42 94 f8 68 e3 be 39 84 f3 c1 a1 3a 4d b9 fa be 4a cb"},
		{argon2i, "", "c8 14 d9 d1 dc 7f 37 aa 13 f0 d7 7f 24 94 bd a1 c8 de 6b 01 6d d3 88 d2 99 52 a4 c4 67 2b 6c e8"},
		{argon2id,
			"28 89 de 48 7e b4 2a e5 00 c0 00 7e d9 25 2f 10 69 ea de c4 0d 57 65 b4 85 de 6d c2 43 7a 67 b8 " +
				"54 6a 2f 0a cc 1a 08 82 db 8f cf 74 71 4b 47 2e 94 df 42 1a 5d a1 11 2f fa 11 43 43 70 a1 e9 97",
			"0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9 d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59"},
	}
	for _, tt := range tests {
		t.Run(tt.variant.String(), func(t *testing.T) {
			in := &argon2Input{
				variant:     tt.variant,
				version:     argon2Version13,
				password:    bytes.Repeat([]byte{1}, 32),
				salt:        bytes.Repeat([]byte{2}, 16),
				secret:      bytes.Repeat([]byte{3}, 8),
				data:        bytes.Repeat([]byte{4}, 12),
				memoryKiB:   32,
				passes:      3,
				parallelism: 4,
				tagLength:   32,
			}
			if tt.h0 != "" {
				h0 := argon2H0(in)
				if want := unhex(t, tt.h0); !bytes.Equal(h0[:], want) {
					t.Errorf("H0 = %x, want %x", h0, want)
				}
			}
			got, err := argon2Key(in)
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, tt.tag); !bytes.Equal(got, want) {
				t.Errorf("tag = %x, want %x", got, want)
			}
		})
	}
}

// Without secret and associated data the result must equal x/crypto's, over
// shapes that exercise several address blocks, lanes and tag lengths.
func TestArgon2MatchesXCrypto(t *testing.T) {
	shapes := []struct{ m, tcost, p, tag uint32 }{
		{8, 1, 1, 32}, {64, 1, 1, 32}, {64, 3, 2, 16}, {1024, 2, 1, 32},
		{1000, 2, 3, 64}, {2048, 1, 4, 65}, {520, 4, 1, 200}, {19456, 2, 1, 32},
	}
	for _, s := range shapes {
		name := fmt.Sprintf("m=%d,t=%d,p=%d,T=%d", s.m, s.tcost, s.p, s.tag)
		t.Run(name, func(t *testing.T) {
			pw, salt := []byte("correct horse battery staple"), []byte("saltsaltsaltsalt")
			for _, variant := range []argon2Variant{argon2i, argon2id} {
				in := &argon2Input{variant: variant, version: argon2Version13, password: pw, salt: salt,
					memoryKiB: s.m, passes: s.tcost, parallelism: s.p, tagLength: s.tag}
				got, err := argon2Key(in)
				if err != nil {
					t.Fatal(err)
				}
				var want []byte
				if variant == argon2id {
					want = xargon2.IDKey(pw, salt, s.tcost, s.m, uint8(s.p), s.tag)
				} else {
					want = xargon2.Key(pw, salt, s.tcost, s.m, uint8(s.p), s.tag)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%v: got %x, want %x", variant, got, want)
				}
			}
		})
	}
}

// The work area is recycled between hashes; a recycled one must give the
// same tag as x/crypto's fresh one, after a hash that left other data in it.
func TestArgon2RecycledMemory(t *testing.T) {
	salt := []byte("saltsaltsaltsalt")
	for i, pw := range []string{"first", "second", "first", "second"} {
		in := &argon2Input{variant: argon2id, version: argon2Version13, password: []byte(pw), salt: salt,
			memoryKiB: 256, passes: 2, parallelism: 1, tagLength: 32}
		got, err := argon2Key(in)
		if err != nil {
			t.Fatal(err)
		}
		if want := xargon2.IDKey([]byte(pw), salt, 2, 256, 1, 32); !bytes.Equal(got, want) {
			t.Errorf("hash %d (%s): %x, want %x", i, pw, got, want)
		}
	}
}
