package passwords

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// This file is an Argon2 implementation written from RFC 9106. It exists
// because golang.org/x/crypto/argon2 exposes neither the secret input K nor
// the associated data X, and upstream MAS feeds a scheme's pepper to argon2id
// as K. See doc.go for the reasoning. The fill order and indexing follow the
// RFC exactly; all three variants and both versions (0x10, 0x13) are
// supported so that any hash the upstream Rust crate accepts is accepted here.

// argon2Variant is the Argon2 type y of RFC 9106 §3.2.
type argon2Variant uint32

const (
	argon2d  argon2Variant = 0
	argon2i  argon2Variant = 1
	argon2id argon2Variant = 2
)

func (v argon2Variant) String() string {
	switch v {
	case argon2d:
		return "argon2d"
	case argon2i:
		return "argon2i"
	case argon2id:
		return "argon2id"
	}
	return fmt.Sprintf("argon2(%d)", uint32(v))
}

const (
	argon2Version10 = 0x10
	argon2Version13 = 0x13

	argon2BlockWords = 128 // 1024-byte blocks as 64-bit words
	argon2SyncPoints = 4   // slices per pass
)

type argon2Block [argon2BlockWords]uint64

// argon2Input gathers every input of RFC 9106 §3.2.
type argon2Input struct {
	variant     argon2Variant
	version     uint32
	password    []byte
	salt        []byte
	secret      []byte // K
	data        []byte // X
	memoryKiB   uint32 // m
	passes      uint32 // t
	parallelism uint32 // p
	tagLength   uint32 // T
}

// Hard limits applied before any memory is allocated. A stored hash comes from
// the database, but a corrupt or hostile row must not be able to make the
// process allocate terabytes (a fatal, unrecoverable error in Go) or spin for
// hours. The limits are far above anything a sane deployment uses.
const (
	argon2MaxMemoryKiB   = 4 << 20 // 4 GiB
	argon2MaxPasses      = 1 << 16
	argon2MaxParallelism = 1 << 8
	argon2MaxTagLength   = 1 << 10
	argon2MinTagLength   = 4
	argon2MinSaltLength  = 8
	argon2MaxInputLength = 1 << 20
)

var errArgon2Params = errors.New("invalid argon2 parameters")

func (in *argon2Input) validate() error {
	switch {
	case in.variant > argon2id:
		return fmt.Errorf("%w: unknown variant %d", errArgon2Params, in.variant)
	case in.version != argon2Version10 && in.version != argon2Version13:
		return fmt.Errorf("%w: unsupported version %d", errArgon2Params, in.version)
	case in.parallelism < 1 || in.parallelism > argon2MaxParallelism:
		return fmt.Errorf("%w: parallelism %d out of range 1..%d", errArgon2Params, in.parallelism, argon2MaxParallelism)
	case in.passes < 1 || in.passes > argon2MaxPasses:
		return fmt.Errorf("%w: time cost %d out of range 1..%d", errArgon2Params, in.passes, argon2MaxPasses)
	case in.memoryKiB < 8*in.parallelism || in.memoryKiB > argon2MaxMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB out of range %d..%d for parallelism %d",
			errArgon2Params, in.memoryKiB, 8*in.parallelism, argon2MaxMemoryKiB, in.parallelism)
	case in.tagLength < argon2MinTagLength || in.tagLength > argon2MaxTagLength:
		return fmt.Errorf("%w: output length %d out of range %d..%d", errArgon2Params, in.tagLength, argon2MinTagLength, argon2MaxTagLength)
	case len(in.salt) < argon2MinSaltLength || len(in.salt) > argon2MaxInputLength:
		return fmt.Errorf("%w: salt length %d out of range %d..%d", errArgon2Params, len(in.salt), argon2MinSaltLength, argon2MaxInputLength)
	case len(in.password) > argon2MaxInputLength || len(in.secret) > argon2MaxInputLength || len(in.data) > argon2MaxInputLength:
		return fmt.Errorf("%w: password, secret or associated data too long", errArgon2Params)
	}
	return nil
}

// argon2Memory recycles the (large) block arrays between calls, sparing
// the allocator and the page faults of a fresh 19 MiB array on every login.
// It is a plain free list rather than a sync.Pool: a sync.Pool is emptied
// by every garbage collection, and the arrays dropped then stay in the heap
// until the next one, so a login burst held several times the hashing
// pool's worth of memory. At most GOMAXPROCS arrays are kept (the hashing
// pool's default size); more are freed. Contents need no clearing: the
// first pass writes every block before any block reads it.
var argon2Memory struct {
	sync.Mutex
	free []*[]argon2Block
}

func getArgon2Memory(n int) *[]argon2Block {
	argon2Memory.Lock()
	defer argon2Memory.Unlock()
	for i, p := range argon2Memory.free {
		if cap(*p) >= n {
			last := len(argon2Memory.free) - 1
			argon2Memory.free[i] = argon2Memory.free[last]
			argon2Memory.free = argon2Memory.free[:last]
			*p = (*p)[:n]
			return p
		}
	}
	b := make([]argon2Block, n)
	return &b
}

func putArgon2Memory(p *[]argon2Block) {
	argon2Memory.Lock()
	defer argon2Memory.Unlock()
	if len(argon2Memory.free) < runtime.GOMAXPROCS(0) {
		argon2Memory.free = append(argon2Memory.free, p)
	}
}

// argon2Key computes the Argon2 tag for the given input.
func argon2Key(in *argon2Input) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	h0 := argon2H0(in)

	lanes := in.parallelism
	// m' = 4 p floor(m / 4p): whole segments only.
	blocks := argon2SyncPoints * lanes * (in.memoryKiB / (argon2SyncPoints * lanes))
	laneLength := blocks / lanes
	segmentLength := laneLength / argon2SyncPoints

	memp := getArgon2Memory(int(blocks))
	defer putArgon2Memory(memp)
	mem := *memp

	// First two blocks of every lane come straight from H0.
	var seed [blake2b.Size + 8]byte
	copy(seed[:], h0[:])
	var buf [1024]byte
	for lane := uint32(0); lane < lanes; lane++ {
		binary.LittleEndian.PutUint32(seed[blake2b.Size+4:], lane)
		for j := uint32(0); j < 2; j++ {
			binary.LittleEndian.PutUint32(seed[blake2b.Size:], j)
			argon2HashLong(buf[:], seed[:])
			b := &mem[lane*laneLength+j]
			for k := range b {
				b[k] = binary.LittleEndian.Uint64(buf[8*k:])
			}
		}
	}

	f := argon2Filler{
		mem:           mem,
		in:            in,
		blocks:        blocks,
		lanes:         lanes,
		laneLength:    laneLength,
		segmentLength: segmentLength,
	}
	for pass := uint32(0); pass < in.passes; pass++ {
		for slice := uint32(0); slice < argon2SyncPoints; slice++ {
			// Lanes within a slice are independent; the worker pool already
			// provides the parallelism across requests, so they run in turn.
			for lane := uint32(0); lane < lanes; lane++ {
				f.fillSegment(pass, slice, lane)
			}
		}
	}

	// C = XOR of the last block of every lane.
	final := mem[laneLength-1]
	for lane := uint32(1); lane < lanes; lane++ {
		last := &mem[lane*laneLength+laneLength-1]
		for k := range final {
			final[k] ^= last[k]
		}
	}
	for k := range final {
		binary.LittleEndian.PutUint64(buf[8*k:], final[k])
	}
	tag := make([]byte, in.tagLength)
	argon2HashLong(tag, buf[:])
	return tag, nil
}

// argon2H0 is the 64-byte pre-hashing digest of RFC 9106 §3.2 step 1.
func argon2H0(in *argon2Input) [blake2b.Size]byte {
	h, _ := blake2b.New512(nil) // cannot fail without a key
	var le [4]byte
	put := func(v uint32) {
		binary.LittleEndian.PutUint32(le[:], v)
		h.Write(le[:])
	}
	put(in.parallelism)
	put(in.tagLength)
	put(in.memoryKiB)
	put(in.passes)
	put(in.version)
	put(uint32(in.variant))
	for _, field := range [][]byte{in.password, in.salt, in.secret, in.data} {
		put(uint32(len(field)))
		h.Write(field)
	}
	var out [blake2b.Size]byte
	h.Sum(out[:0])
	return out
}

// argon2HashLong is the variable-length hash H' of RFC 9106 §3.3; the output
// length is len(out).
func argon2HashLong(out, input []byte) {
	var le [4]byte
	binary.LittleEndian.PutUint32(le[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h, _ := blake2b.New(len(out), nil)
		h.Write(le[:])
		h.Write(input)
		h.Sum(out[:0])
		return
	}
	h, _ := blake2b.New512(nil)
	h.Write(le[:])
	h.Write(input)
	var v [blake2b.Size]byte
	h.Sum(v[:0])
	// Emit the first half of every intermediate digest, then the full last
	// digest sized to what remains.
	n := copy(out, v[:blake2b.Size/2])
	for len(out)-n > blake2b.Size {
		v = blake2b.Sum512(v[:])
		n += copy(out[n:], v[:blake2b.Size/2])
	}
	h, _ = blake2b.New(len(out)-n, nil)
	h.Write(v[:])
	h.Sum(out[n:n])
}

type argon2Filler struct {
	mem           []argon2Block
	in            *argon2Input
	blocks        uint32
	lanes         uint32
	laneLength    uint32
	segmentLength uint32
	scratch       argon2Scratch
}

// fillSegment computes one segment (RFC 9106 §3.4): slice `slice` of lane
// `lane` in pass `pass`.
func (f *argon2Filler) fillSegment(pass, slice, lane uint32) {
	independent := f.in.variant == argon2i ||
		(f.in.variant == argon2id && pass == 0 && slice < argon2SyncPoints/2)

	var address, input, zero argon2Block
	if independent {
		input[0] = uint64(pass)
		input[1] = uint64(lane)
		input[2] = uint64(slice)
		input[3] = uint64(f.blocks)
		input[4] = uint64(f.in.passes)
		input[5] = uint64(f.in.variant)
	}
	nextAddresses := func() {
		input[6]++
		argon2Compress(&address, &zero, &input, false, &f.scratch)
		argon2Compress(&address, &zero, &address, false, &f.scratch)
	}

	start := uint32(0)
	if pass == 0 && slice == 0 {
		// Blocks 0 and 1 already hold H0-derived data.
		start = 2
		if independent {
			nextAddresses()
		}
	}

	laneBase := lane * f.laneLength
	cur := laneBase + slice*f.segmentLength + start
	prev := cur - 1
	if cur == laneBase {
		prev = laneBase + f.laneLength - 1
	}

	for index := start; index < f.segmentLength; index, cur, prev = index+1, cur+1, cur {
		var rnd uint64
		if independent {
			if index%argon2BlockWords == 0 {
				nextAddresses()
			}
			rnd = address[index%argon2BlockWords]
		} else {
			rnd = f.mem[prev][0]
		}

		refLane := uint32(rnd>>32) % f.lanes
		if pass == 0 && slice == 0 {
			refLane = lane
		}
		refIndex := f.referenceIndex(pass, slice, index, uint32(rnd), refLane == lane)
		ref := &f.mem[refLane*f.laneLength+refIndex]

		xor := pass > 0 && f.in.version == argon2Version13
		argon2Compress(&f.mem[cur], &f.mem[prev], ref, xor, &f.scratch)
	}
}

// referenceIndex maps J1 onto the reference set (RFC 9106 §3.4.1.2).
func (f *argon2Filler) referenceIndex(pass, slice, index, j1 uint32, sameLane bool) uint32 {
	var area uint32
	switch {
	case pass == 0 && slice == 0:
		area = index - 1
	case pass == 0 && sameLane:
		area = slice*f.segmentLength + index - 1
	case pass == 0:
		area = slice * f.segmentLength
		if index == 0 {
			area--
		}
	case sameLane:
		area = f.laneLength - f.segmentLength + index - 1
	default:
		area = f.laneLength - f.segmentLength
		if index == 0 {
			area--
		}
	}

	x := (uint64(j1) * uint64(j1)) >> 32
	y := (uint64(area) * x) >> 32
	rel := uint64(area) - 1 - y

	startPos := uint64(0)
	if pass != 0 && slice != argon2SyncPoints-1 {
		startPos = uint64(slice+1) * uint64(f.segmentLength)
	}
	return uint32((startPos + rel) % uint64(f.laneLength))
}

// argon2Scratch is G's working state. It lives with the filler, not on the
// stack: two fresh 1 KiB locals per block cost their zeroing (4% of a hash).
type argon2Scratch struct {
	r, q argon2Block
}

// argon2CompressGeneric is the compression function G (RFC 9106 §3.5):
// out = P(x ^ y) ^ (x ^ y), additionally XORed with the old contents of out
// when xor is set (version 0x13 for passes after the first). out may alias
// y but not x. argon2Compress is this, or its AVX2 form where the CPU has
// it.
func argon2CompressGeneric(out, x, y *argon2Block, xor bool, s *argon2Scratch) {
	blamkaRows(&s.q, &s.r, x, y)
	blamkaColumns(out, &s.q, &s.r, xor)
}

// The permutation P of RFC 9106 §3.6 is BLAKE2b's round with the
// multiplication-hardened G, over a 4x4 matrix v0..v15 of 64-bit words: G on
// the four columns, then on the four diagonals. The compression function
// applies it to the eight rows of a block (16 consecutive words each) and
// then to its eight columns (words 2i and 2i+1 of every row). Both loops
// spell G out by hand and work on fixed-size views of the blocks: the
// compiler does not inline a G helper, and with the calls and a
// gather/scatter copy per column a hash took about twice as long. The XORs
// of G's input and output are folded into the first and last pass.

// blamkaRows sets r = x ^ y and q = r with P applied to each of its eight
// rows (16 consecutive words). Reading x and y here, rather than in a loop
// of its own, saves a pass over the block.
func blamkaRows(q, r, x, y *argon2Block) {
	for i := 0; i < argon2BlockWords; i += 16 {
		xs := (*[16]uint64)(x[i : i+16])
		ys := (*[16]uint64)(y[i : i+16])
		v0 := xs[0] ^ ys[0]
		v1 := xs[1] ^ ys[1]
		v2 := xs[2] ^ ys[2]
		v3 := xs[3] ^ ys[3]
		v4 := xs[4] ^ ys[4]
		v5 := xs[5] ^ ys[5]
		v6 := xs[6] ^ ys[6]
		v7 := xs[7] ^ ys[7]
		v8 := xs[8] ^ ys[8]
		v9 := xs[9] ^ ys[9]
		v10 := xs[10] ^ ys[10]
		v11 := xs[11] ^ ys[11]
		v12 := xs[12] ^ ys[12]
		v13 := xs[13] ^ ys[13]
		v14 := xs[14] ^ ys[14]
		v15 := xs[15] ^ ys[15]
		rs := (*[16]uint64)(r[i : i+16])
		rs[0] = v0
		rs[1] = v1
		rs[2] = v2
		rs[3] = v3
		rs[4] = v4
		rs[5] = v5
		rs[6] = v6
		rs[7] = v7
		rs[8] = v8
		rs[9] = v9
		rs[10] = v10
		rs[11] = v11
		rs[12] = v12
		rs[13] = v13
		rs[14] = v14
		rs[15] = v15

		v0 += v4 + 2*uint64(uint32(v0))*uint64(uint32(v4))
		v12 = bits.RotateLeft64(v12^v0, -32)
		v8 += v12 + 2*uint64(uint32(v8))*uint64(uint32(v12))
		v4 = bits.RotateLeft64(v4^v8, -24)
		v0 += v4 + 2*uint64(uint32(v0))*uint64(uint32(v4))
		v12 = bits.RotateLeft64(v12^v0, -16)
		v8 += v12 + 2*uint64(uint32(v8))*uint64(uint32(v12))
		v4 = bits.RotateLeft64(v4^v8, -63)
		v1 += v5 + 2*uint64(uint32(v1))*uint64(uint32(v5))
		v13 = bits.RotateLeft64(v13^v1, -32)
		v9 += v13 + 2*uint64(uint32(v9))*uint64(uint32(v13))
		v5 = bits.RotateLeft64(v5^v9, -24)
		v1 += v5 + 2*uint64(uint32(v1))*uint64(uint32(v5))
		v13 = bits.RotateLeft64(v13^v1, -16)
		v9 += v13 + 2*uint64(uint32(v9))*uint64(uint32(v13))
		v5 = bits.RotateLeft64(v5^v9, -63)
		v2 += v6 + 2*uint64(uint32(v2))*uint64(uint32(v6))
		v14 = bits.RotateLeft64(v14^v2, -32)
		v10 += v14 + 2*uint64(uint32(v10))*uint64(uint32(v14))
		v6 = bits.RotateLeft64(v6^v10, -24)
		v2 += v6 + 2*uint64(uint32(v2))*uint64(uint32(v6))
		v14 = bits.RotateLeft64(v14^v2, -16)
		v10 += v14 + 2*uint64(uint32(v10))*uint64(uint32(v14))
		v6 = bits.RotateLeft64(v6^v10, -63)
		v3 += v7 + 2*uint64(uint32(v3))*uint64(uint32(v7))
		v15 = bits.RotateLeft64(v15^v3, -32)
		v11 += v15 + 2*uint64(uint32(v11))*uint64(uint32(v15))
		v7 = bits.RotateLeft64(v7^v11, -24)
		v3 += v7 + 2*uint64(uint32(v3))*uint64(uint32(v7))
		v15 = bits.RotateLeft64(v15^v3, -16)
		v11 += v15 + 2*uint64(uint32(v11))*uint64(uint32(v15))
		v7 = bits.RotateLeft64(v7^v11, -63)

		v0 += v5 + 2*uint64(uint32(v0))*uint64(uint32(v5))
		v15 = bits.RotateLeft64(v15^v0, -32)
		v10 += v15 + 2*uint64(uint32(v10))*uint64(uint32(v15))
		v5 = bits.RotateLeft64(v5^v10, -24)
		v0 += v5 + 2*uint64(uint32(v0))*uint64(uint32(v5))
		v15 = bits.RotateLeft64(v15^v0, -16)
		v10 += v15 + 2*uint64(uint32(v10))*uint64(uint32(v15))
		v5 = bits.RotateLeft64(v5^v10, -63)
		v1 += v6 + 2*uint64(uint32(v1))*uint64(uint32(v6))
		v12 = bits.RotateLeft64(v12^v1, -32)
		v11 += v12 + 2*uint64(uint32(v11))*uint64(uint32(v12))
		v6 = bits.RotateLeft64(v6^v11, -24)
		v1 += v6 + 2*uint64(uint32(v1))*uint64(uint32(v6))
		v12 = bits.RotateLeft64(v12^v1, -16)
		v11 += v12 + 2*uint64(uint32(v11))*uint64(uint32(v12))
		v6 = bits.RotateLeft64(v6^v11, -63)
		v2 += v7 + 2*uint64(uint32(v2))*uint64(uint32(v7))
		v13 = bits.RotateLeft64(v13^v2, -32)
		v8 += v13 + 2*uint64(uint32(v8))*uint64(uint32(v13))
		v7 = bits.RotateLeft64(v7^v8, -24)
		v2 += v7 + 2*uint64(uint32(v2))*uint64(uint32(v7))
		v13 = bits.RotateLeft64(v13^v2, -16)
		v8 += v13 + 2*uint64(uint32(v8))*uint64(uint32(v13))
		v7 = bits.RotateLeft64(v7^v8, -63)
		v3 += v4 + 2*uint64(uint32(v3))*uint64(uint32(v4))
		v14 = bits.RotateLeft64(v14^v3, -32)
		v9 += v14 + 2*uint64(uint32(v9))*uint64(uint32(v14))
		v4 = bits.RotateLeft64(v4^v9, -24)
		v3 += v4 + 2*uint64(uint32(v3))*uint64(uint32(v4))
		v14 = bits.RotateLeft64(v14^v3, -16)
		v9 += v14 + 2*uint64(uint32(v9))*uint64(uint32(v14))
		v4 = bits.RotateLeft64(v4^v9, -63)

		qs := (*[16]uint64)(q[i : i+16])
		qs[0] = v0
		qs[1] = v1
		qs[2] = v2
		qs[3] = v3
		qs[4] = v4
		qs[5] = v5
		qs[6] = v6
		qs[7] = v7
		qs[8] = v8
		qs[9] = v9
		qs[10] = v10
		qs[11] = v11
		qs[12] = v12
		qs[13] = v13
		qs[14] = v14
		qs[15] = v15
	}
}

// blamkaColumns applies P to each of q's eight columns (words 2i and 2i+1
// of every row) and writes the result XORed with r to out, or XORs it into
// out when xor is set. out is written only here, so it may alias the y
// blamkaRows read.
func blamkaColumns(out, q, r *argon2Block, xor bool) {
	for i := 0; i < 16; i += 2 {
		qs := (*[114]uint64)(q[i : i+114])
		v0 := qs[0]
		v1 := qs[1]
		v2 := qs[16]
		v3 := qs[17]
		v4 := qs[32]
		v5 := qs[33]
		v6 := qs[48]
		v7 := qs[49]
		v8 := qs[64]
		v9 := qs[65]
		v10 := qs[80]
		v11 := qs[81]
		v12 := qs[96]
		v13 := qs[97]
		v14 := qs[112]
		v15 := qs[113]

		v0 += v4 + 2*uint64(uint32(v0))*uint64(uint32(v4))
		v12 = bits.RotateLeft64(v12^v0, -32)
		v8 += v12 + 2*uint64(uint32(v8))*uint64(uint32(v12))
		v4 = bits.RotateLeft64(v4^v8, -24)
		v0 += v4 + 2*uint64(uint32(v0))*uint64(uint32(v4))
		v12 = bits.RotateLeft64(v12^v0, -16)
		v8 += v12 + 2*uint64(uint32(v8))*uint64(uint32(v12))
		v4 = bits.RotateLeft64(v4^v8, -63)
		v1 += v5 + 2*uint64(uint32(v1))*uint64(uint32(v5))
		v13 = bits.RotateLeft64(v13^v1, -32)
		v9 += v13 + 2*uint64(uint32(v9))*uint64(uint32(v13))
		v5 = bits.RotateLeft64(v5^v9, -24)
		v1 += v5 + 2*uint64(uint32(v1))*uint64(uint32(v5))
		v13 = bits.RotateLeft64(v13^v1, -16)
		v9 += v13 + 2*uint64(uint32(v9))*uint64(uint32(v13))
		v5 = bits.RotateLeft64(v5^v9, -63)
		v2 += v6 + 2*uint64(uint32(v2))*uint64(uint32(v6))
		v14 = bits.RotateLeft64(v14^v2, -32)
		v10 += v14 + 2*uint64(uint32(v10))*uint64(uint32(v14))
		v6 = bits.RotateLeft64(v6^v10, -24)
		v2 += v6 + 2*uint64(uint32(v2))*uint64(uint32(v6))
		v14 = bits.RotateLeft64(v14^v2, -16)
		v10 += v14 + 2*uint64(uint32(v10))*uint64(uint32(v14))
		v6 = bits.RotateLeft64(v6^v10, -63)
		v3 += v7 + 2*uint64(uint32(v3))*uint64(uint32(v7))
		v15 = bits.RotateLeft64(v15^v3, -32)
		v11 += v15 + 2*uint64(uint32(v11))*uint64(uint32(v15))
		v7 = bits.RotateLeft64(v7^v11, -24)
		v3 += v7 + 2*uint64(uint32(v3))*uint64(uint32(v7))
		v15 = bits.RotateLeft64(v15^v3, -16)
		v11 += v15 + 2*uint64(uint32(v11))*uint64(uint32(v15))
		v7 = bits.RotateLeft64(v7^v11, -63)

		v0 += v5 + 2*uint64(uint32(v0))*uint64(uint32(v5))
		v15 = bits.RotateLeft64(v15^v0, -32)
		v10 += v15 + 2*uint64(uint32(v10))*uint64(uint32(v15))
		v5 = bits.RotateLeft64(v5^v10, -24)
		v0 += v5 + 2*uint64(uint32(v0))*uint64(uint32(v5))
		v15 = bits.RotateLeft64(v15^v0, -16)
		v10 += v15 + 2*uint64(uint32(v10))*uint64(uint32(v15))
		v5 = bits.RotateLeft64(v5^v10, -63)
		v1 += v6 + 2*uint64(uint32(v1))*uint64(uint32(v6))
		v12 = bits.RotateLeft64(v12^v1, -32)
		v11 += v12 + 2*uint64(uint32(v11))*uint64(uint32(v12))
		v6 = bits.RotateLeft64(v6^v11, -24)
		v1 += v6 + 2*uint64(uint32(v1))*uint64(uint32(v6))
		v12 = bits.RotateLeft64(v12^v1, -16)
		v11 += v12 + 2*uint64(uint32(v11))*uint64(uint32(v12))
		v6 = bits.RotateLeft64(v6^v11, -63)
		v2 += v7 + 2*uint64(uint32(v2))*uint64(uint32(v7))
		v13 = bits.RotateLeft64(v13^v2, -32)
		v8 += v13 + 2*uint64(uint32(v8))*uint64(uint32(v13))
		v7 = bits.RotateLeft64(v7^v8, -24)
		v2 += v7 + 2*uint64(uint32(v2))*uint64(uint32(v7))
		v13 = bits.RotateLeft64(v13^v2, -16)
		v8 += v13 + 2*uint64(uint32(v8))*uint64(uint32(v13))
		v7 = bits.RotateLeft64(v7^v8, -63)
		v3 += v4 + 2*uint64(uint32(v3))*uint64(uint32(v4))
		v14 = bits.RotateLeft64(v14^v3, -32)
		v9 += v14 + 2*uint64(uint32(v9))*uint64(uint32(v14))
		v4 = bits.RotateLeft64(v4^v9, -24)
		v3 += v4 + 2*uint64(uint32(v3))*uint64(uint32(v4))
		v14 = bits.RotateLeft64(v14^v3, -16)
		v9 += v14 + 2*uint64(uint32(v9))*uint64(uint32(v14))
		v4 = bits.RotateLeft64(v4^v9, -63)

		rs := (*[114]uint64)(r[i : i+114])
		outs := (*[114]uint64)(out[i : i+114])
		if xor {
			outs[0] ^= v0 ^ rs[0]
			outs[1] ^= v1 ^ rs[1]
			outs[16] ^= v2 ^ rs[16]
			outs[17] ^= v3 ^ rs[17]
			outs[32] ^= v4 ^ rs[32]
			outs[33] ^= v5 ^ rs[33]
			outs[48] ^= v6 ^ rs[48]
			outs[49] ^= v7 ^ rs[49]
			outs[64] ^= v8 ^ rs[64]
			outs[65] ^= v9 ^ rs[65]
			outs[80] ^= v10 ^ rs[80]
			outs[81] ^= v11 ^ rs[81]
			outs[96] ^= v12 ^ rs[96]
			outs[97] ^= v13 ^ rs[97]
			outs[112] ^= v14 ^ rs[112]
			outs[113] ^= v15 ^ rs[113]
		} else {
			outs[0] = v0 ^ rs[0]
			outs[1] = v1 ^ rs[1]
			outs[16] = v2 ^ rs[16]
			outs[17] = v3 ^ rs[17]
			outs[32] = v4 ^ rs[32]
			outs[33] = v5 ^ rs[33]
			outs[48] = v6 ^ rs[48]
			outs[49] = v7 ^ rs[49]
			outs[64] = v8 ^ rs[64]
			outs[65] = v9 ^ rs[65]
			outs[80] = v10 ^ rs[80]
			outs[81] = v11 ^ rs[81]
			outs[96] = v12 ^ rs[96]
			outs[97] = v13 ^ rs[97]
			outs[112] = v14 ^ rs[112]
			outs[113] = v15 ^ rs[113]
		}
	}
}
