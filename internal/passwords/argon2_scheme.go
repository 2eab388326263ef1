package passwords

import (
	"crypto/subtle"
	"fmt"
	"io"
	"strconv"
)

// Argon2Params are the cost parameters used to hash new passwords with
// argon2id. Verification always uses the parameters stored in the hash.
type Argon2Params struct {
	MemoryKiB   uint32 // m
	Iterations  uint32 // t
	Parallelism uint32 // p
}

// DefaultArgon2Params are upstream's (the argon2 crate's defaults, OWASP's
// minimum): m=19456 KiB, t=2, p=1.
var DefaultArgon2Params = Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}

const (
	argon2SaltLength   = 16
	argon2OutputLength = 32
	// Upper bound of a stored output or associated data, as in the PHC
	// tooling upstream uses.
	argon2MaxStoredOutput = 64
	argon2MaxStoredData   = 32
)

type argon2Hasher struct {
	params Argon2Params
	secret []byte // argon2's K; nil when the scheme has no pepper
}

func (h *argon2Hasher) validate() error {
	in := argon2Input{
		variant: argon2id, version: argon2Version13,
		memoryKiB: h.params.MemoryKiB, passes: h.params.Iterations, parallelism: h.params.Parallelism,
		tagLength: argon2OutputLength, salt: make([]byte, argon2SaltLength), secret: h.secret,
	}
	return in.validate()
}

func (h *argon2Hasher) hash(rand io.Reader, password []byte) (string, error) {
	salt := make([]byte, argon2SaltLength)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("reading salt: %w", err)
	}
	in := &argon2Input{
		variant: argon2id, version: argon2Version13,
		password: password, salt: salt, secret: h.secret,
		memoryKiB: h.params.MemoryKiB, passes: h.params.Iterations, parallelism: h.params.Parallelism,
		tagLength: argon2OutputLength,
	}
	tag, err := argon2Key(in)
	if err != nil {
		return "", err
	}
	return formatArgon2(in, tag), nil
}

func formatArgon2(in *argon2Input, tag []byte) string {
	b := make([]byte, 0, 100)
	b = append(b, '$')
	b = append(b, in.variant.String()...)
	b = append(b, "$v="...)
	b = strconv.AppendUint(b, uint64(in.version), 10)
	b = append(b, "$m="...)
	b = strconv.AppendUint(b, uint64(in.memoryKiB), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(in.passes), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(in.parallelism), 10)
	if len(in.data) > 0 {
		b = append(b, ",data="...)
		b = phcB64.AppendEncode(b, in.data)
	}
	b = append(b, '$')
	b = phcB64.AppendEncode(b, in.salt)
	b = append(b, '$')
	b = phcB64.AppendEncode(b, tag)
	return string(b)
}

type argon2Parsed struct {
	in       argon2Input // everything but password and secret
	expected []byte
}

// parse accepts any Argon2 PHC string the upstream argon2 crate verifies:
// the three variants, versions 16 and 19 (19 when absent), optional keyid
// (which does not enter the computation) and data (associated data X).
// Missing m/t/p take the crate's defaults.
func (h *argon2Hasher) parse(s string) (parsedHash, error) {
	p, err := parsePHC(s)
	if err != nil {
		return nil, err
	}
	var variant argon2Variant
	switch p.id {
	case "argon2id":
		variant = argon2id
	case "argon2i":
		variant = argon2i
	case "argon2d":
		variant = argon2d
	default:
		return nil, fmt.Errorf("%w: expected an argon2 hash, got algorithm %q", ErrMalformedHash, p.id)
	}
	out := &argon2Parsed{in: argon2Input{
		variant: variant, version: argon2Version13,
		memoryKiB:   DefaultArgon2Params.MemoryKiB,
		passes:      DefaultArgon2Params.Iterations,
		parallelism: DefaultArgon2Params.Parallelism,
	}}
	if p.version != "" {
		v, _ := parsePHCDecimal(p.version) // syntax checked by parsePHC
		if v != argon2Version10 && v != argon2Version13 {
			return nil, fmt.Errorf("%w: unsupported argon2 version %d", ErrMalformedHash, v)
		}
		out.in.version = v
	}
	for _, kv := range p.params {
		switch kv.name {
		case "m", "t", "p":
			n, err := parsePHCDecimal(kv.value)
			if err != nil {
				return nil, fmt.Errorf("%w: argon2 parameter %s: %v", ErrMalformedHash, kv.name, err)
			}
			switch kv.name {
			case "m":
				out.in.memoryKiB = n
			case "t":
				out.in.passes = n
			case "p":
				out.in.parallelism = n
			}
		case "keyid":
			if _, err := decodePHCB64("argon2 keyid", kv.value, 0, 8); err != nil {
				return nil, err
			}
		case "data":
			d, err := decodePHCB64("argon2 associated data", kv.value, 0, argon2MaxStoredData)
			if err != nil {
				return nil, err
			}
			out.in.data = d
		default:
			return nil, fmt.Errorf("%w: unknown argon2 parameter %q", ErrMalformedHash, kv.name)
		}
	}
	if out.in.salt, err = decodePHCB64("argon2 salt", p.salt, argon2MinSaltLength, 64); err != nil {
		return nil, err
	}
	if out.expected, err = decodePHCB64("argon2 hash", p.hash, argon2MinTagLength, argon2MaxStoredOutput); err != nil {
		return nil, err
	}
	out.in.tagLength = uint32(len(out.expected))
	if err := out.in.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return out, nil
}

func (h *argon2Hasher) verify(parsed parsedHash, password []byte) (bool, error) {
	p := parsed.(*argon2Parsed)
	in := p.in
	in.password = password
	in.secret = h.secret
	tag, err := argon2Key(&in)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(tag, p.expected) == 1, nil
}

// cost reports what verifying this hash would allocate and compute, so the
// fuzz test can skip expensive inputs.
func (p *argon2Parsed) cost() uint64 {
	return uint64(p.in.memoryKiB) * uint64(p.in.passes)
}

func (h *argon2Hasher) dummy(rand io.Reader) (string, error) {
	salt := make([]byte, argon2SaltLength)
	tag := make([]byte, argon2OutputLength)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", err
	}
	if _, err := io.ReadFull(rand, tag); err != nil {
		return "", err
	}
	in := &argon2Input{variant: argon2id, version: argon2Version13, salt: salt,
		memoryKiB: h.params.MemoryKiB, passes: h.params.Iterations, parallelism: h.params.Parallelism}
	return formatArgon2(in, tag), nil
}
