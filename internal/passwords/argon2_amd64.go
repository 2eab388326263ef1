//go:build amd64 && !purego

package passwords

// argon2AVX2 selects the AVX2 form of G, about twice as fast as the
// portable one (BenchmarkArgon2Compress).
var argon2AVX2 = hasAVX2()

//go:noescape
func blamkaRowsAVX2(q, r, x, y *argon2Block)

//go:noescape
func blamkaColumnsAVX2(out, q, r *argon2Block, xor bool)

func argon2CPUID(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

func argon2XGETBV() (eax uint32)

// hasAVX2 asks the CPU for AVX2 and the OS for saving the YMM registers.
func hasAVX2() bool {
	maxLeaf, _, _, _ := argon2CPUID(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := argon2CPUID(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 || argon2XGETBV()&6 != 6 {
		return false
	}
	_, ebx7, _, _ := argon2CPUID(7, 0)
	return ebx7&(1<<5) != 0
}

func argon2Compress(out, x, y *argon2Block, xor bool, s *argon2Scratch) {
	if argon2AVX2 {
		blamkaRowsAVX2(&s.q, &s.r, x, y)
		blamkaColumnsAVX2(out, &s.q, &s.r, xor)
		return
	}
	argon2CompressGeneric(out, x, y, xor, s)
}
