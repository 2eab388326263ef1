package tokens

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const knownGood = "mat_abcdefghijklmnopqrstuvwxyzABCD_mr7s31"

func TestKnownVector(t *testing.T) {
	got, err := Check(knownGood)
	if err != nil {
		t.Fatalf("Check(%q): %v", knownGood, err)
	}
	if got != AccessToken {
		t.Fatalf("Check(%q) = %v, want %v", knownGood, got, AccessToken)
	}
	if sum := checksum("mat_abcdefghijklmnopqrstuvwxyzABCD"); sum != "mr7s31" {
		t.Fatalf("checksum = %q, want mr7s31", sum)
	}
}

// Every single-character substitution of a valid token must be rejected:
// either the format breaks or the checksum no longer matches.
func TestEverySubstitutionInvalid(t *testing.T) {
	replacements := base62Alphabet + "_-."
	for i := range len(knownGood) {
		for _, r := range []byte(replacements) {
			if r == knownGood[i] {
				continue
			}
			mutated := knownGood[:i] + string(r) + knownGood[i+1:]
			if typ, err := Check(mutated); err == nil {
				t.Errorf("Check(%q) = %v, want error (position %d)", mutated, typ, i)
			}
		}
	}
}

func TestChecksumPadding(t *testing.T) {
	// A CRC that needs fewer than six base62 digits is left-padded; find one
	// by brute force so the padding path is exercised deterministically.
	for i := 0; i < 1_000_000; i++ {
		base := "mat_" + strings.Repeat("a", 24) + itoa6(i)
		sum := checksum(base)
		if len(sum) != 6 {
			t.Fatalf("checksum(%q) = %q, want 6 characters", base, sum)
		}
		if sum[0] == '0' {
			if _, err := Check(base + "_" + sum); err != nil {
				t.Fatalf("padded checksum rejected: %v", err)
			}
			return
		}
	}
	t.Fatal("no checksum with leading zero found")
}

func itoa6(i int) string {
	b := []byte("000000")
	for j := 5; j >= 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}

func TestGenerateRoundTrip(t *testing.T) {
	for _, typ := range []Type{AccessToken, RefreshToken, CompatAccessToken, CompatRefreshToken, PersonalAccessToken} {
		seen := map[string]bool{}
		for range 200 {
			tok, err := Generate(typ, rand.Reader)
			if err != nil {
				t.Fatalf("Generate(%v): %v", typ, err)
			}
			if !strings.HasPrefix(tok, typ.Prefix()+"_") || len(tok) != 3+1+30+1+6 {
				t.Fatalf("Generate(%v) = %q: bad shape", typ, tok)
			}
			if seen[tok] {
				t.Fatalf("Generate(%v) repeated %q", typ, tok)
			}
			seen[tok] = true
			got, err := Check(tok)
			if err != nil || got != typ {
				t.Fatalf("Check(%q) = %v, %v; want %v", tok, got, err, typ)
			}
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	if _, err := Generate(Type(0), rand.Reader); err == nil {
		t.Error("Generate(0) succeeded")
	}
	if _, err := Generate(AccessToken, bytes.NewReader(make([]byte, 5))); err == nil {
		t.Error("Generate with short random source succeeded")
	}
}

func TestCheckTable(t *testing.T) {
	macaroon := base64.RawURLEncoding.EncodeToString([]byte("0021location example.org\n0013identifier key\n"))
	tests := []struct {
		name  string
		token string
		want  Type
		err   error
	}{
		{"empty", "", 0, ErrInvalidFormat},
		{"two parts", "mat_abcdefghijklmnopqrstuvwxyzABCD", 0, ErrInvalidFormat},
		{"four parts", knownGood + "_x", 0, ErrInvalidFormat},
		{"long prefix", "matt_abcdefghijklmnopqrstuvwxyzABCD_mr7s31", 0, ErrInvalidFormat},
		{"short random", "mat_abcdefghijklmnopqrstuvwxyzABC_mr7s31", 0, ErrInvalidFormat},
		{"non-alnum random", "mat_abcdefghijklmnopqrstuvwxyzAB-D_mr7s31", 0, ErrInvalidFormat},
		{"short checksum", "mat_abcdefghijklmnopqrstuvwxyzABCD_mr7s3", 0, ErrInvalidFormat},
		{"unknown prefix", "xyz_abcdefghijklmnopqrstuvwxyzABCD_mr7s31", 0, ErrUnknownPrefix},
		{"wrong checksum", "mat_abcdefghijklmnopqrstuvwxyzABCD_mr7s32", 0, ErrBadChecksum},
		{"prefix swap", "mar_abcdefghijklmnopqrstuvwxyzABCD_mr7s31", 0, ErrBadChecksum},
		{"synapse access", "syt_dXNlcg_SoMeRaNdOm_0abcde", CompatAccessToken, nil},
		{"synapse refresh", "syr_dXNlcg_SoMeRaNdOm_0abcde", CompatRefreshToken, nil},
		{"synapse short", "syt_", CompatAccessToken, nil},
		{"macaroon raw url", macaroon, CompatAccessToken, nil},
		{"macaroon padded url", base64.URLEncoding.EncodeToString([]byte("0021location example.org\n?")), CompatAccessToken, nil},
		{"macaroon std", base64.StdEncoding.EncodeToString([]byte("0021location example.org\n\xfb\xff")), CompatAccessToken, nil},
		{"upstream macaroon sample", "MDAxYmxvY2F0aW9uIGxpYnJlcHVzaC5uZXQKMDAx", CompatAccessToken, nil},
		{"not a macaroon", base64.RawURLEncoding.EncodeToString([]byte("0021identifier example.org")), 0, ErrInvalidFormat},
		{"macaroon with newline", macaroon[:8] + "\n" + macaroon[8:], 0, ErrInvalidFormat},
		{"too short to be macaroon", "aaa", 0, ErrInvalidFormat},
		{"jwt-looking", "eyJhbGciOiJub25lIn0.e30.", 0, ErrInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(tt.token)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Check(%q) error = %v, want %v", tt.token, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Check(%q) = %v, %v; want %v", tt.token, got, err, tt.want)
			}
		})
	}
}

func TestTypeStrings(t *testing.T) {
	want := map[Type][2]string{
		AccessToken:         {"mat", "access token"},
		RefreshToken:        {"mar", "refresh token"},
		CompatAccessToken:   {"mct", "compat access token"},
		CompatRefreshToken:  {"mcr", "compat refresh token"},
		PersonalAccessToken: {"mpt", "personal access token"},
	}
	for typ, w := range want {
		if typ.Prefix() != w[0] || typ.String() != w[1] {
			t.Errorf("%d: Prefix, String = %q, %q; want %q, %q", typ, typ.Prefix(), typ.String(), w[0], w[1])
		}
	}
	if got := Type(42).String(); got != "tokens.Type(42)" {
		t.Errorf("Type(42).String() = %q", got)
	}
	if Type(42).Prefix() != "" {
		t.Error("unknown type has a prefix")
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(knownGood)
	f.Add("syt_abc")
	f.Add("MDAxYmxvY2F0aW9uIGxpYnJlcHVzaC5uZXQKMDAx")
	f.Add("___")
	f.Add("")
	f.Add("mat_\xff\xfe_000000")
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := Check(s)
		if err != nil {
			return
		}
		if !typ.valid() {
			t.Fatalf("Check(%q) returned invalid type %d without error", s, typ)
		}
		// Anything accepted in our own format must carry a matching checksum.
		if parts := strings.Split(s, "_"); len(parts) == 3 && typ.Prefix() == parts[0] {
			if checksum(parts[0]+"_"+parts[1]) != parts[2] {
				t.Fatalf("Check(%q) accepted a bad checksum", s)
			}
		}
	})
}
