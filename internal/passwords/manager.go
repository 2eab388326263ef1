package passwords

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// Algorithm names, as spelled in the configuration file.
const (
	AlgorithmArgon2id = "argon2id"
	AlgorithmBcrypt   = "bcrypt"
	AlgorithmPBKDF2   = "pbkdf2"
)

// Scheme is one entry of passwords.schemes.
type Scheme struct {
	// Version is stored next to each hash (user_passwords.version). Versions
	// are unique; the highest one hashes new passwords.
	Version int
	// Algorithm is argon2id, bcrypt or pbkdf2.
	Algorithm string
	// UnicodeNormalization applies NFKC to the password first, as Synapse
	// does.
	UnicodeNormalization bool
	// Cost is the bcrypt cost; 0 means 12. Ignored by the other algorithms.
	Cost int
	// Secret is the pepper, or nil. bcrypt and pbkdf2 append it to the
	// password; argon2id uses it as argon2's secret input K.
	Secret []byte
	// Argon2 are the argon2id costs for new hashes; nil means upstream's
	// defaults (m=19456 KiB, t=2, p=1). Tests use cheap values.
	Argon2 *Argon2Params
	// PBKDF2Iterations for new pbkdf2 hashes; 0 means 600000.
	PBKDF2Iterations int
}

// Options tune a Manager.
type Options struct {
	// Concurrency is the most hash computations running at once; further
	// callers wait. 0 means runtime.GOMAXPROCS(0), which is the number of
	// CPUs unless a container CPU limit or GOMAXPROCS lowers it.
	Concurrency int
	// Rand supplies salts; nil means crypto/rand.
	Rand io.Reader
	// MinimumComplexity is the zxcvbn score (0-4) a new password needs to
	// pass ComplexEnough.
	MinimumComplexity int
}

// Upgrade is a fresh hash of a just-verified password under the newest
// scheme, to be stored in place of the old one.
type Upgrade struct {
	Version int
	Hash    string
}

var (
	// ErrMismatch: the password is wrong.
	ErrMismatch = errors.New("password does not match")
	// ErrUnknownScheme: no configured scheme has the stored version.
	ErrUnknownScheme = errors.New("unknown password scheme version")
	// ErrMalformedHash: the stored hash cannot be parsed for its scheme.
	ErrMalformedHash = errors.New("malformed password hash")
	// ErrDisabled: passwords are disabled (passwords.enabled: false).
	ErrDisabled = errors.New("password manager is disabled")
)

// algorithm is one hashing algorithm bound to a scheme's settings.
type algorithm interface {
	validate() error
	hash(rand io.Reader, password []byte) (string, error)
	parse(hash string) (parsedHash, error)
	verify(parsed parsedHash, password []byte) (bool, error)
	// dummy returns a well-formed hash with this scheme's costs that matches
	// no password, without computing anything.
	dummy(rand io.Reader) (string, error)
}

// parsedHash is a stored hash after parsing, ready for verification.
type parsedHash interface {
	// cost is a rough work figure, used by the fuzz test to skip slow cases.
	cost() uint64
}

type scheme struct {
	version   int
	normalize bool
	alg       algorithm
}

func (s *scheme) prepare(password string) []byte {
	if s.normalize {
		password = norm.NFKC.String(password)
	}
	return []byte(password)
}

// Manager hashes and verifies passwords under the configured schemes. It is
// safe for concurrent use.
type Manager struct {
	schemes           map[int]*scheme
	newest            *scheme
	rand              io.Reader
	pool              *pool
	minimumComplexity int

	dummyOnce sync.Once
	dummy     parsedHash
	dummyErr  error
}

// Disabled returns a Manager for passwords.enabled: false; every operation
// returns ErrDisabled.
func Disabled() *Manager { return nil }

// New builds a Manager. It rejects an empty or inconsistent scheme list.
func New(schemes []Scheme, opts Options) (*Manager, error) {
	if len(schemes) == 0 {
		return nil, errors.New("passwords: at least one hashing scheme is required")
	}
	if opts.Concurrency < 0 {
		return nil, fmt.Errorf("passwords: concurrency %d must not be negative", opts.Concurrency)
	}
	if opts.MinimumComplexity < 0 || opts.MinimumComplexity > 4 {
		return nil, fmt.Errorf("passwords: minimum complexity %d out of range 0..4", opts.MinimumComplexity)
	}
	n := opts.Concurrency
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	m := &Manager{
		schemes:           make(map[int]*scheme, len(schemes)),
		rand:              &lockedReader{r: r},
		pool:              newPool(n),
		minimumComplexity: opts.MinimumComplexity,
	}
	for i, sc := range schemes {
		if sc.Version < 0 || sc.Version > 65535 {
			return nil, fmt.Errorf("passwords: scheme #%d: version %d out of range 0..65535", i+1, sc.Version)
		}
		if _, dup := m.schemes[sc.Version]; dup {
			return nil, fmt.Errorf("passwords: scheme version %d is defined more than once", sc.Version)
		}
		alg, err := newAlgorithm(sc)
		if err != nil {
			return nil, fmt.Errorf("passwords: scheme version %d: %w", sc.Version, err)
		}
		s := &scheme{version: sc.Version, normalize: sc.UnicodeNormalization, alg: alg}
		m.schemes[sc.Version] = s
		if m.newest == nil || s.version > m.newest.version {
			m.newest = s
		}
	}
	return m, nil
}

func newAlgorithm(sc Scheme) (algorithm, error) {
	var secret []byte
	if sc.Secret != nil {
		secret = append([]byte{}, sc.Secret...)
	}
	var alg algorithm
	switch sc.Algorithm {
	case AlgorithmArgon2id:
		params := DefaultArgon2Params
		if sc.Argon2 != nil {
			params = *sc.Argon2
		}
		alg = &argon2Hasher{params: params, secret: secret}
	case AlgorithmBcrypt:
		cost := sc.Cost
		if cost == 0 {
			cost = bcryptDefaultCost
		}
		alg = &bcryptHasher{cost: cost, pepper: secret}
	case AlgorithmPBKDF2:
		iterations := sc.PBKDF2Iterations
		if iterations == 0 {
			iterations = pbkdf2DefaultIterations
		}
		alg = &pbkdf2Hasher{iterations: iterations, pepper: secret}
	default:
		return nil, fmt.Errorf("unknown algorithm %q (expected %s, %s or %s)",
			sc.Algorithm, AlgorithmArgon2id, AlgorithmBcrypt, AlgorithmPBKDF2)
	}
	if err := alg.validate(); err != nil {
		return nil, err
	}
	return alg, nil
}

// Enabled reports whether passwords are enabled. A nil Manager is disabled.
func (m *Manager) Enabled() bool { return m != nil }

// Newest is the version that hashes new passwords; -1 when disabled.
func (m *Manager) Newest() int {
	if m == nil {
		return -1
	}
	return m.newest.version
}

// Versions lists the configured scheme versions, highest first.
func (m *Manager) Versions() []int {
	if m == nil {
		return nil
	}
	out := make([]int, 0, len(m.schemes))
	for v := range m.schemes {
		out = append(out, v)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

// Stats reports the hashing pool's occupancy.
func (m *Manager) Stats() Stats {
	if m == nil {
		return Stats{}
	}
	return Stats{
		Capacity:  cap(m.pool.slots),
		Running:   m.pool.running.Load(),
		Waiting:   m.pool.waiting.Load(),
		Completed: m.pool.done.Load(),
	}
}

// Hash hashes a new password with the newest scheme and returns that
// scheme's version with the hash. It waits for a pool slot, giving up when
// ctx ends.
func (m *Manager) Hash(ctx context.Context, password string) (version int, hash string, err error) {
	if m == nil {
		return 0, "", ErrDisabled
	}
	if err := m.pool.acquire(ctx); err != nil {
		return 0, "", err
	}
	defer m.pool.release()
	hash, err = m.newest.alg.hash(m.rand, m.newest.prepare(password))
	if err != nil {
		return 0, "", fmt.Errorf("passwords: hashing with scheme version %d: %w", m.newest.version, err)
	}
	return m.newest.version, hash, nil
}

// Verify checks password against a hash stored with the given scheme
// version. A wrong password gives ErrMismatch; an unknown version
// ErrUnknownScheme; an unparsable hash ErrMalformedHash. When the password
// matches and version is not the newest, the password is rehashed with the
// newest scheme and returned as an Upgrade for the caller to store.
func (m *Manager) Verify(ctx context.Context, version int, hash, password string) (*Upgrade, error) {
	if m == nil {
		return nil, ErrDisabled
	}
	s, ok := m.schemes[version]
	if !ok {
		return nil, fmt.Errorf("%w: %d (configured: %v)", ErrUnknownScheme, version, m.Versions())
	}
	// Parse before queueing: a corrupt row should not cost a pool slot.
	parsed, err := s.alg.parse(hash)
	if err != nil {
		return nil, fmt.Errorf("passwords: scheme version %d: %w", version, err)
	}
	if err := m.pool.acquire(ctx); err != nil {
		return nil, err
	}
	defer m.pool.release()

	match, err := s.alg.verify(parsed, s.prepare(password))
	if err != nil {
		return nil, fmt.Errorf("passwords: scheme version %d: %w", version, err)
	}
	if !match {
		return nil, ErrMismatch
	}
	if s == m.newest {
		return nil, nil
	}
	// Still holding the slot: the rehash is part of the same login.
	newHash, err := m.newest.alg.hash(m.rand, m.newest.prepare(password))
	if err != nil {
		return nil, fmt.Errorf("passwords: upgrading to scheme version %d: %w", m.newest.version, err)
	}
	return &Upgrade{Version: m.newest.version, Hash: newHash}, nil
}

// DummyVerify spends the time of one verification under the newest scheme,
// for when the user does not exist or has no password, so that response
// times do not reveal which accounts exist. It returns nil unless ctx ends
// first or the Manager is disabled.
func (m *Manager) DummyVerify(ctx context.Context) error {
	if m == nil {
		return ErrDisabled
	}
	m.dummyOnce.Do(func() {
		var h string
		h, m.dummyErr = m.newest.alg.dummy(m.rand)
		if m.dummyErr == nil {
			m.dummy, m.dummyErr = m.newest.alg.parse(h)
		}
	})
	if m.dummyErr != nil {
		return fmt.Errorf("passwords: preparing dummy hash: %w", m.dummyErr)
	}
	if err := m.pool.acquire(ctx); err != nil {
		return err
	}
	defer m.pool.release()
	if _, err := m.newest.alg.verify(m.dummy, m.newest.prepare("dummy password")); err != nil {
		return fmt.Errorf("passwords: dummy verification: %w", err)
	}
	return nil
}

// MinimumComplexity is the zxcvbn score new passwords need.
func (m *Manager) MinimumComplexity() int {
	if m == nil {
		return 0
	}
	return m.minimumComplexity
}

// ComplexEnough reports whether password reaches the minimum complexity.
// userInputs (username, email, …) count as known words.
func (m *Manager) ComplexEnough(password string, userInputs []string) bool {
	return Complexity(password, userInputs) >= m.MinimumComplexity()
}

// lockedReader serialises reads so that a test's deterministic reader need
// not be safe for concurrent use.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// algorithmOf extracts the algorithm identifier of a $-prefixed hash for
// error messages, bounded so a garbage row cannot flood the logs.
func algorithmOf(s string) string {
	if !strings.HasPrefix(s, "$") {
		return ""
	}
	id, _, _ := strings.Cut(s[1:], "$")
	if len(id) > 20 {
		id = id[:20] + "…"
	}
	return id
}
