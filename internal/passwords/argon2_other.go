//go:build !amd64 || purego

package passwords

const argon2AVX2 = false

func argon2Compress(out, x, y *argon2Block, xor bool, s *argon2Scratch) {
	argon2CompressGeneric(out, x, y, xor, s)
}
