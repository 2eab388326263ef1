package tokens

import "hash/crc32"

const (
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	checksumLen    = 6
)

// checksum returns the 6-character checksum of "<prefix>_<random>".
//
// The encoding is unusual and must not be "fixed": digits are emitted least
// significant first and the result is then left-padded with '0'. Upstream
// tokens were generated this way, and changing it would invalidate every token
// issued before a migration. A CRC-32 is below 62^6, so six digits always fit.
func checksum(base string) string {
	n := crc32.ChecksumIEEE([]byte(base))
	var digits [checksumLen]byte
	i := 0
	for n > 0 {
		digits[i] = base62Alphabet[n%62]
		n /= 62
		i++
	}
	out := make([]byte, 0, checksumLen)
	for range checksumLen - i {
		out = append(out, '0')
	}
	return string(append(out, digits[:i]...))
}
