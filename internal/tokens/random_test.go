package tokens

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRandomAlphabets(t *testing.T) {
	tests := []struct {
		name     string
		fn       func(io.Reader, int) (string, error)
		alphabet string
	}{
		{"alphanumeric", RandomAlphanumeric, alphanumeric},
		{"digits", RandomDigits, digits},
		{"upper alphanumeric", RandomUpperAlphanumeric, upperAlphanumeric},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.fn(rand.Reader, 20000)
			if err != nil {
				t.Fatal(err)
			}
			if len(s) != 20000 {
				t.Fatalf("len = %d", len(s))
			}
			counts := map[rune]int{}
			for _, c := range s {
				if !strings.ContainsRune(tt.alphabet, c) {
					t.Fatalf("character %q outside alphabet", c)
				}
				counts[c]++
			}
			// Loose sanity bound on uniformity: every character shows up,
			// none wildly more often than expected.
			expected := 20000 / len(tt.alphabet)
			for _, c := range tt.alphabet {
				if n := counts[c]; n == 0 || n > expected*2 {
					t.Errorf("character %q seen %d times, expected about %d", c, n, expected)
				}
			}
		})
	}
}

// Bytes at or above the largest multiple of the alphabet size must be
// skipped, not folded onto the first characters.
func TestRandomRejectsBiasedBytes(t *testing.T) {
	// 248 is the first rejected byte for 62 characters; 0 maps to 'A'.
	src := bytes.NewReader(append(bytes.Repeat([]byte{248, 255}, 4), make([]byte, 64)...))
	s, err := RandomAlphanumeric(src, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s != "AAA" {
		t.Fatalf("got %q, want AAA", s)
	}

	s, err = RandomDigits(bytes.NewReader(append([]byte{250, 9, 251, 10}, make([]byte, 64)...)), 2)
	if err != nil {
		t.Fatal(err)
	}
	if s != "90" {
		t.Fatalf("got %q, want 90 (zero-padded digits)", s)
	}
}

func TestRandomErrors(t *testing.T) {
	if _, err := RandomAlphanumeric(rand.Reader, -1); err == nil {
		t.Error("negative length accepted")
	}
	if _, err := RandomAlphanumeric(nil, 4); err == nil {
		t.Error("nil reader accepted")
	}
	if _, err := RandomDigits(bytes.NewReader(nil), 4); !errors.Is(err, io.EOF) {
		t.Errorf("empty reader: err = %v, want EOF", err)
	}
	if s, err := RandomAlphanumeric(bytes.NewReader(nil), 0); err != nil || s != "" {
		t.Errorf("zero length = %q, %v", s, err)
	}
}
