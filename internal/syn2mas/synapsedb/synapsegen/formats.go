package synapsegen

import (
	"encoding/base64"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// Hash is Synapse's password hash (synapse/handlers/auth.py): bcrypt of
// the NFKC-normalised password followed by the pepper, cut to bcrypt's 72
// bytes, written with Python bcrypt's $2b$ prefix. cost is bcrypt_rounds
// (Synapse's default is 12; tests use 4).
func Hash(password, pepper string, cost int) (string, error) {
	key := []byte(norm.NFKC.String(password) + pepper)
	if len(key) > 72 {
		key = key[:72]
	}
	h, err := bcrypt.GenerateFromPassword(key, cost)
	if err != nil {
		return "", err
	}
	// x/crypto writes $2a$; the algorithm is the same for keys this short.
	return "$2b$" + strings.TrimPrefix(string(h), "$2a$"), nil
}

// hashes caches one hash of Password per pepper: every user shares it, so
// that a million users cost one bcrypt, and every Generator of a process
// writes the same one (Plan and Generate agree).
var hashes sync.Map // pepper → string

func passwordHash(pepper string) (string, error) {
	if h, ok := hashes.Load(pepper); ok {
		return h.(string), nil
	}
	h, err := Hash(Password, pepper, bcrypt.MinCost)
	if err != nil {
		return "", err
	}
	actual, _ := hashes.LoadOrStore(pepper, h)
	return actual.(string), nil
}

const (
	letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	base62  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

func randomString(r *rand.Rand, alphabet string, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// token is Synapse's access (syt_) or refresh (syr_) token format
// (generate_access_token): prefix, unpadded base64 of the localpart, 20
// random letters, and a base62 CRC-32 of all that.
func token(r *rand.Rand, prefix, localpart string) string {
	base := prefix + "_" + base64.RawStdEncoding.EncodeToString([]byte(localpart)) + "_" + randomString(r, letters, 20)
	return base + "_" + base62Pad(crc32.ChecksumIEEE([]byte(base)), 6)
}

func base62Pad(n uint32, width int) string {
	var buf [12]byte
	i := len(buf)
	for n > 0 || i == len(buf) {
		i--
		buf[i] = base62[n%62]
		n /= 62
	}
	s := string(buf[i:])
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// deviceID is Synapse's generated device ID: ten capital letters.
func deviceID(r *rand.Rand) string { return randomString(r, upper, 10) }

var (
	firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
		"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki",
		"amir", "bea", "chen", "dmitri", "elena", "farah", "goran", "hana", "ines", "jonas"}
	lastNames = []string{"smith", "jones", "garcia", "mueller", "martin", "rossi", "nowak", "kim", "tanaka", "silva",
		"dubois", "novak", "ivanova", "larsen", "okafor", "haddad", "singh", "cohen", "murphy", "berg"}
	emailDomains = []string{"example.com", "example.net", "mail.example.com", "example.co.uk"}
	deviceNames  = []string{"Element Web", "Element X Android", "Element X iOS", "Element Desktop", "FluffyChat",
		"Nheko", "Cinny", "SchildiChat", "Fractal", "iamb"}
	userAgents = []string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
		"Element X/25.06.0 (Google Pixel 8; Android 14; UQ1A.240205.004; Sdk 1.1.60)",
		"Element/1.11.70 (iPhone; iOS 17.5; Scale/3.00)",
		"Element/1.11.70 (Macintosh; Intel Mac OS X 14_5) Electron/30.0.1",
		"FluffyChat/1.20.0 (Linux; Android 13)",
		"mautrix-go/v0.19.0 go1.22.4 linux/amd64",
		"curl/8.5.0",
	}
	// Strings Synapse has stored in devices.ip that are no IP address:
	// proxies' lists, garbage from X-Forwarded-For, truncated values.
	badIPs   = []string{"unknown", "10.0.0.1, 10.0.0.2", "1.2.3", "::ffff:999.1.1.1", "localhost"}
	ipv4Nets = []string{"192.0.2.", "198.51.100.", "203.0.113.", "10.20.30."}
)

// localpart is user i's localpart: a name-like stem, made unique by the
// index; guests get Synapse's numeric localparts, bridge users a prefix.
func localpart(seed uint64, i int, k kind) string {
	n := strconv.Itoa(i)
	switch k {
	case kindGuest:
		return n
	case kindAppservice:
		return "_bridge_" + n
	}
	h := mix(seed, uint64(i), 1)
	first, last := firstNames[h%uint64(len(firstNames))], lastNames[(h>>16)%uint64(len(lastNames))]
	switch (h >> 32) % 4 {
	case 0:
		return first + "." + last + n
	case 1:
		return first[:1] + last + n
	case 2:
		return first + "_" + n
	default:
		return first + last + "-" + n
	}
}

// ip returns a devices.ip value: mostly addresses, sometimes Synapse's
// "-" or a string that is no address. Its second result says which.
func ip(r *rand.Rand) (string, ipKind) {
	switch p := r.Float64(); {
	case p < 0.05:
		return "-", ipDash
	case p < 0.08:
		return badIPs[r.IntN(len(badIPs))], ipBad
	case p < 0.25:
		return "2001:db8:" + strconv.FormatUint(uint64(r.IntN(0x10000)), 16) + "::" + strconv.FormatUint(uint64(r.IntN(0x10000)), 16), ipGood
	default:
		return ipv4Nets[r.IntN(len(ipv4Nets))] + strconv.Itoa(1+r.IntN(254)), ipGood
	}
}

type ipKind int

const (
	ipGood ipKind = iota
	ipDash
	ipBad
)

// mix is a splitmix64-style hash of its inputs, for the choices that must
// not depend on the order of random draws.
func mix(vals ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vals {
		h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }
