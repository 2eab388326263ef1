//go:build amd64 && !purego

#include "textflag.h"

// AVX2 form of the permutation P (see argon2.go): one 4x4 matrix of 64-bit
// words is four YMM registers a, b, c, d (rows of the matrix), so G runs
// on all four columns at once; the diagonal step rotates b, c and d by one,
// two and three lanes first and back after. Rotations by 32, 24 and 16 are
// shuffles, by 63 a shift pair.

// Rotate each 64-bit word right by 24 and by 16 bits (byte shuffles).
DATA ·argon2Rot24<>+0(SB)/8, $0x0201000706050403
DATA ·argon2Rot24<>+8(SB)/8, $0x0a09080f0e0d0c0b
DATA ·argon2Rot24<>+16(SB)/8, $0x0201000706050403
DATA ·argon2Rot24<>+24(SB)/8, $0x0a09080f0e0d0c0b
GLOBL ·argon2Rot24<>(SB), (NOPTR+RODATA), $32

DATA ·argon2Rot16<>+0(SB)/8, $0x0100070605040302
DATA ·argon2Rot16<>+8(SB)/8, $0x09080f0e0d0c0b0a
DATA ·argon2Rot16<>+16(SB)/8, $0x0100070605040302
DATA ·argon2Rot16<>+24(SB)/8, $0x09080f0e0d0c0b0a
GLOBL ·argon2Rot16<>(SB), (NOPTR+RODATA), $32

// x += y + 2 * lo32(x) * lo32(y), lane by lane; t is clobbered.
#define BLAMKA_ADD(x, y, t) \
	VPMULUDQ y, x, t; \
	VPADDQ   t, t, t; \
	VPADDQ   y, x, x; \
	VPADDQ   t, x, x

// G on the four lanes of a, b, c, d; Y14 and Y15 hold the shuffles.
#define G(a, b, c, d, t) \
	BLAMKA_ADD(a, b, t); \
	VPXOR    a, d, d; \
	VPSHUFD  $0xb1, d, d; \
	BLAMKA_ADD(c, d, t); \
	VPXOR    c, b, b; \
	VPSHUFB  Y14, b, b; \
	BLAMKA_ADD(a, b, t); \
	VPXOR    a, d, d; \
	VPSHUFB  Y15, d, d; \
	BLAMKA_ADD(c, d, t); \
	VPXOR    c, b, b; \
	VPADDQ   b, b, t; \
	VPSRLQ   $63, b, b; \
	VPXOR    t, b, b

// One BLAKE2b round: columns, then diagonals.
#define ROUND(a, b, c, d, t) \
	G(a, b, c, d, t); \
	VPERMQ $0x39, b, b; \
	VPERMQ $0x4e, c, c; \
	VPERMQ $0x93, d, d; \
	G(a, b, c, d, t); \
	VPERMQ $0x93, b, b; \
	VPERMQ $0x4e, c, c; \
	VPERMQ $0x39, d, d

// func blamkaRowsAVX2(q, r, x, y *argon2Block)
TEXT ·blamkaRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), DI
	MOVQ r+8(FP), SI
	MOVQ x+16(FP), AX
	MOVQ y+24(FP), BX
	VMOVDQU ·argon2Rot24<>(SB), Y14
	VMOVDQU ·argon2Rot16<>(SB), Y15
	MOVQ $8, CX

rows:
	VMOVDQU 0(AX), Y0
	VPXOR   0(BX), Y0, Y0
	VMOVDQU 32(AX), Y1
	VPXOR   32(BX), Y1, Y1
	VMOVDQU 64(AX), Y2
	VPXOR   64(BX), Y2, Y2
	VMOVDQU 96(AX), Y3
	VPXOR   96(BX), Y3, Y3
	VMOVDQU Y0, 0(SI)
	VMOVDQU Y1, 32(SI)
	VMOVDQU Y2, 64(SI)
	VMOVDQU Y3, 96(SI)
	ROUND(Y0, Y1, Y2, Y3, Y4)
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ $128, AX
	ADDQ $128, BX
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  rows
	VZEROUPPER
	RET

// func blamkaColumnsAVX2(out, q, r *argon2Block, xor bool)
TEXT ·blamkaColumnsAVX2(SB), NOSPLIT, $0-25
	MOVQ out+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ r+16(FP), BX
	MOVB xor+24(FP), DX
	VMOVDQU ·argon2Rot24<>(SB), Y14
	VMOVDQU ·argon2Rot16<>(SB), Y15
	MOVQ $8, CX

columns:
	VMOVDQU 0(SI), X0
	VINSERTI128 $1, 128(SI), Y0, Y0
	VMOVDQU 256(SI), X1
	VINSERTI128 $1, 384(SI), Y1, Y1
	VMOVDQU 512(SI), X2
	VINSERTI128 $1, 640(SI), Y2, Y2
	VMOVDQU 768(SI), X3
	VINSERTI128 $1, 896(SI), Y3, Y3
	ROUND(Y0, Y1, Y2, Y3, Y4)
	VMOVDQU 0(BX), X5
	VINSERTI128 $1, 128(BX), Y5, Y5
	VPXOR Y5, Y0, Y0
	VMOVDQU 256(BX), X5
	VINSERTI128 $1, 384(BX), Y5, Y5
	VPXOR Y5, Y1, Y1
	VMOVDQU 512(BX), X5
	VINSERTI128 $1, 640(BX), Y5, Y5
	VPXOR Y5, Y2, Y2
	VMOVDQU 768(BX), X5
	VINSERTI128 $1, 896(BX), Y5, Y5
	VPXOR Y5, Y3, Y3
	TESTB DX, DX
	JZ    store
	VMOVDQU 0(DI), X5
	VINSERTI128 $1, 128(DI), Y5, Y5
	VPXOR Y5, Y0, Y0
	VMOVDQU 256(DI), X5
	VINSERTI128 $1, 384(DI), Y5, Y5
	VPXOR Y5, Y1, Y1
	VMOVDQU 512(DI), X5
	VINSERTI128 $1, 640(DI), Y5, Y5
	VPXOR Y5, Y2, Y2
	VMOVDQU 768(DI), X5
	VINSERTI128 $1, 896(DI), Y5, Y5
	VPXOR Y5, Y3, Y3

store:
	VMOVDQU X0, 0(DI)
	VEXTRACTI128 $1, Y0, 128(DI)
	VMOVDQU X1, 256(DI)
	VEXTRACTI128 $1, Y1, 384(DI)
	VMOVDQU X2, 512(DI)
	VEXTRACTI128 $1, Y2, 640(DI)
	VMOVDQU X3, 768(DI)
	VEXTRACTI128 $1, Y3, 896(DI)
	ADDQ $16, DI
	ADDQ $16, SI
	ADDQ $16, BX
	DECQ CX
	JNZ  columns
	VZEROUPPER
	RET

// func argon2CPUID(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·argon2CPUID(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func argon2XGETBV() (eax uint32)
TEXT ·argon2XGETBV(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET

