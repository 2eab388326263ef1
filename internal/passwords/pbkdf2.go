package passwords

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"hash"
	"io"
	"strconv"
)

const (
	pbkdf2DefaultIterations = 600000
	pbkdf2SaltLength        = 16
	pbkdf2OutputLength      = 32
	// A hostile or corrupt row must not pin a worker for minutes.
	pbkdf2MaxIterations = 1 << 26
	pbkdf2MinOutput     = 10
	pbkdf2MaxOutput     = 64
)

type pbkdf2Hasher struct {
	iterations int
	pepper     []byte // appended to the password
}

func (h *pbkdf2Hasher) validate() error {
	if h.iterations < 1 || h.iterations > pbkdf2MaxIterations {
		return fmt.Errorf("pbkdf2 iterations %d out of range 1..%d", h.iterations, pbkdf2MaxIterations)
	}
	return nil
}

func (h *pbkdf2Hasher) input(password []byte) string {
	b := make([]byte, 0, len(password)+len(h.pepper))
	b = append(b, password...)
	b = append(b, h.pepper...)
	return string(b)
}

func (h *pbkdf2Hasher) hash(rand io.Reader, password []byte) (string, error) {
	salt := make([]byte, pbkdf2SaltLength)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("reading salt: %w", err)
	}
	sum, err := pbkdf2.Key(sha256.New, h.input(password), salt, h.iterations, pbkdf2OutputLength)
	if err != nil {
		return "", fmt.Errorf("pbkdf2: %w", err)
	}
	return formatPBKDF2(h.iterations, salt, sum), nil
}

func formatPBKDF2(iterations int, salt, sum []byte) string {
	b := make([]byte, 0, 100)
	b = append(b, "$pbkdf2-sha256$i="...)
	b = strconv.AppendInt(b, int64(iterations), 10)
	b = append(b, ",l="...)
	b = strconv.AppendInt(b, int64(len(sum)), 10)
	b = append(b, '$')
	b = phcB64.AppendEncode(b, salt)
	b = append(b, '$')
	b = phcB64.AppendEncode(b, sum)
	return string(b)
}

type pbkdf2Parsed struct {
	newHash    func() hash.Hash
	iterations int
	salt       []byte
	expected   []byte
}

func (p *pbkdf2Parsed) cost() uint64 { return uint64(p.iterations) }

// parse accepts pbkdf2-sha256 and pbkdf2-sha512 PHC strings, as the upstream
// crate does. Missing i means the default iteration count; l, when present,
// must match the stored output.
func (h *pbkdf2Hasher) parse(s string) (parsedHash, error) {
	p, err := parsePHC(s)
	if err != nil {
		return nil, err
	}
	out := &pbkdf2Parsed{iterations: pbkdf2DefaultIterations}
	switch p.id {
	case "pbkdf2-sha256":
		out.newHash = sha256.New
	case "pbkdf2-sha512":
		out.newHash = sha512.New
	default:
		return nil, fmt.Errorf("%w: expected a pbkdf2-sha256 hash, got algorithm %q", ErrMalformedHash, p.id)
	}
	if p.version != "" {
		return nil, fmt.Errorf("%w: pbkdf2 hashes have no version field", ErrMalformedHash)
	}
	length := -1
	for _, kv := range p.params {
		n, err := parsePHCDecimal(kv.value)
		if err != nil {
			return nil, fmt.Errorf("%w: pbkdf2 parameter %s: %v", ErrMalformedHash, kv.name, err)
		}
		switch kv.name {
		case "i":
			if n < 1 || n > pbkdf2MaxIterations {
				return nil, fmt.Errorf("%w: pbkdf2 iterations %d out of range 1..%d", ErrMalformedHash, n, pbkdf2MaxIterations)
			}
			out.iterations = int(n)
		case "l":
			length = int(n)
		default:
			return nil, fmt.Errorf("%w: unknown pbkdf2 parameter %q", ErrMalformedHash, kv.name)
		}
	}
	if out.salt, err = decodePHCB64("pbkdf2 salt", p.salt, 1, 64); err != nil {
		return nil, err
	}
	if out.expected, err = decodePHCB64("pbkdf2 hash", p.hash, pbkdf2MinOutput, pbkdf2MaxOutput); err != nil {
		return nil, err
	}
	if length >= 0 && length != len(out.expected) {
		return nil, fmt.Errorf("%w: pbkdf2 l=%d but the stored hash is %d bytes", ErrMalformedHash, length, len(out.expected))
	}
	return out, nil
}

func (h *pbkdf2Hasher) verify(parsed parsedHash, password []byte) (bool, error) {
	p := parsed.(*pbkdf2Parsed)
	sum, err := pbkdf2.Key(p.newHash, h.input(password), p.salt, p.iterations, len(p.expected))
	if err != nil {
		return false, fmt.Errorf("pbkdf2: %w", err)
	}
	return subtle.ConstantTimeCompare(sum, p.expected) == 1, nil
}

func (h *pbkdf2Hasher) dummy(rand io.Reader) (string, error) {
	buf := make([]byte, pbkdf2SaltLength+pbkdf2OutputLength)
	if _, err := io.ReadFull(rand, buf); err != nil {
		return "", err
	}
	return formatPBKDF2(h.iterations, buf[:pbkdf2SaltLength], buf[pbkdf2SaltLength:]), nil
}
