package passwords

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/crypto/blowfish"
)

// bcrypt is assembled from x/crypto/blowfish's exported key-schedule
// primitives rather than taken from x/crypto/bcrypt, because that package
// draws salts from crypto/rand itself and refuses passwords over 72 bytes,
// while this package takes its randomness from Options.Rand and must truncate
// long passwords the way Synapse and upstream do. Tests check that both
// directions interoperate with x/crypto/bcrypt.

const (
	bcryptDefaultCost = 12
	bcryptMinCost     = 4
	bcryptMaxCost     = 31
	bcryptSaltLength  = 16
	bcryptHashLength  = 23 // the last byte of the 24-byte ciphertext is dropped
	bcryptMaxKey      = 72 // blowfish's key schedule reads at most 72 bytes
	bcryptEncodedSalt = 22
	bcryptEncodedHash = 31
	bcryptHashStrLen  = 7 + bcryptEncodedSalt + bcryptEncodedHash // "$2b$12$" + salt + hash
)

// bcryptB64 is bcrypt's own base64 alphabet, unpadded.
var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").
	WithPadding(base64.NoPadding)

var bcryptMagic = []byte("OrpheanBeholderScryDoubt")

type bcryptHasher struct {
	cost   int
	pepper []byte // appended to the password
}

func (h *bcryptHasher) validate() error {
	if h.cost < bcryptMinCost || h.cost > bcryptMaxCost {
		return fmt.Errorf("bcrypt cost %d out of range %d..%d", h.cost, bcryptMinCost, bcryptMaxCost)
	}
	return nil
}

// key builds blowfish's key: password ‖ pepper ‖ NUL, cut to 72 bytes. A
// password that long loses its tail (and the NUL); that is bcrypt's
// well-known limit and what Synapse and upstream MAS do too, so imported
// hashes of long passwords keep verifying.
func (h *bcryptHasher) key(password []byte) []byte {
	key := make([]byte, 0, len(password)+len(h.pepper)+1)
	key = append(key, password...)
	key = append(key, h.pepper...)
	key = append(key, 0)
	if len(key) > bcryptMaxKey {
		key = key[:bcryptMaxKey]
	}
	return key
}

func bcryptCompute(key []byte, cost int, salt []byte) ([]byte, error) {
	c, err := blowfish.NewSaltedCipher(key, salt)
	if err != nil {
		return nil, fmt.Errorf("bcrypt key schedule: %w", err)
	}
	rounds := uint64(1) << uint(cost)
	for i := uint64(0); i < rounds; i++ {
		blowfish.ExpandKey(key, c)
		blowfish.ExpandKey(salt, c)
	}
	out := make([]byte, len(bcryptMagic))
	copy(out, bcryptMagic)
	for i := 0; i < len(out); i += 8 {
		for j := 0; j < 64; j++ {
			c.Encrypt(out[i:i+8], out[i:i+8])
		}
	}
	return out[:bcryptHashLength], nil
}

func (h *bcryptHasher) hash(rand io.Reader, password []byte) (string, error) {
	salt := make([]byte, bcryptSaltLength)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("reading salt: %w", err)
	}
	sum, err := bcryptCompute(h.key(password), h.cost, salt)
	if err != nil {
		return "", err
	}
	return formatBcrypt("2b", h.cost, salt, sum), nil
}

func formatBcrypt(minor string, cost int, salt, sum []byte) string {
	b := make([]byte, 0, bcryptHashStrLen)
	b = append(b, '$')
	b = append(b, minor...)
	b = append(b, '$')
	if cost < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(cost), 10)
	b = append(b, '$')
	b = bcryptB64.AppendEncode(b, salt)
	b = bcryptB64.AppendEncode(b, sum)
	return string(b)
}

type bcryptParsed struct {
	logCost  int
	salt     []byte
	expected []byte
}

func (p *bcryptParsed) cost() uint64 { return uint64(1) << uint(p.logCost) }

// parse accepts $2a$, $2b$, $2x$ and $2y$ (the upstream crate treats them
// alike) with a two-digit cost.
func (h *bcryptHasher) parse(s string) (parsedHash, error) {
	if len(s) != bcryptHashStrLen {
		if len(s) > 3 && s[0] == '$' && s[1] != '2' {
			return nil, fmt.Errorf("%w: expected a bcrypt hash, got a %q hash", ErrMalformedHash, algorithmOf(s))
		}
		return nil, fmt.Errorf("%w: bcrypt hash must be %d characters long, got %d", ErrMalformedHash, bcryptHashStrLen, len(s))
	}
	if s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' {
		return nil, fmt.Errorf("%w: not a bcrypt hash ($2b$<cost>$…)", ErrMalformedHash)
	}
	switch s[2] {
	case 'a', 'b', 'x', 'y':
	default:
		return nil, fmt.Errorf("%w: unknown bcrypt version $2%c$", ErrMalformedHash, s[2])
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return nil, fmt.Errorf("%w: bcrypt cost %q is not a number", ErrMalformedHash, s[4:6])
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcryptMinCost || cost > bcryptMaxCost {
		return nil, fmt.Errorf("%w: bcrypt cost %d out of range %d..%d", ErrMalformedHash, cost, bcryptMinCost, bcryptMaxCost)
	}
	salt, err := bcryptB64.DecodeString(s[7 : 7+bcryptEncodedSalt])
	if err != nil || len(salt) != bcryptSaltLength {
		return nil, fmt.Errorf("%w: bcrypt salt is not valid bcrypt base64", ErrMalformedHash)
	}
	sum, err := bcryptB64.DecodeString(s[7+bcryptEncodedSalt:])
	if err != nil || len(sum) != bcryptHashLength {
		return nil, fmt.Errorf("%w: bcrypt checksum is not valid bcrypt base64", ErrMalformedHash)
	}
	return &bcryptParsed{logCost: cost, salt: salt, expected: sum}, nil
}

func (h *bcryptHasher) verify(parsed parsedHash, password []byte) (bool, error) {
	p := parsed.(*bcryptParsed)
	sum, err := bcryptCompute(h.key(password), p.logCost, p.salt)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(sum, p.expected) == 1, nil
}

func (h *bcryptHasher) dummy(rand io.Reader) (string, error) {
	buf := make([]byte, bcryptSaltLength+bcryptHashLength)
	if _, err := io.ReadFull(rand, buf); err != nil {
		return "", err
	}
	return formatBcrypt("2b", h.cost, buf[:bcryptSaltLength], buf[bcryptSaltLength:]), nil
}
