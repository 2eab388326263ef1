// Package passwords hashes and verifies user passwords under the versioned
// schemes of the passwords section, producing hashes interchangeable with
// upstream MAS's, and scores new passwords with zxcvbn.
//
// # Schemes and formats
//
// Each stored hash carries the version of the scheme that made it. The
// highest configured version hashes new passwords; a successful Verify under
// an older version also returns a rehash under the newest (upgrade on login).
// Formats are byte-for-byte upstream's:
//
//   - argon2id: PHC "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", standard
//     base64 without padding, 16-byte salt, 32-byte output. Verification
//     follows the parameters in the hash, and also accepts argon2i/argon2d,
//     version 16, and the optional keyid/data fields, as upstream's crate does.
//   - bcrypt: "$2b$<cost>$<salt><hash>"; $2a$, $2x$ and $2y$ verify the same.
//     Input beyond 72 bytes is ignored, as in Synapse and upstream.
//   - pbkdf2: PHC "$pbkdf2-sha256$i=600000,l=32$<salt>$<hash>";
//     pbkdf2-sha512 hashes verify too.
//
// With unicode normalisation the password is NFKC-normalised first (Synapse
// does this before bcrypt). The pepper (a scheme's secret) is appended to the
// password bytes for bcrypt and pbkdf2. For argon2id it is argon2's own
// secret input K, so a peppered argon2id hash differs from an argon2id hash of
// password‖pepper.
//
// # Argon2 with a secret
//
// golang.org/x/crypto/argon2 cannot take K (nor associated data), so this
// package carries its own Argon2 (argon2.go), written from RFC 9106 and
// checked against the RFC's test vectors for all three variants (which use
// both K and X), against x/crypto for inputs without K, and against hashes
// from the reference C library with K at upstream's production costs. It is
// used for every argon2 hash, peppered or not, so there is one code path.
// Its compression function G has two forms: portable Go (argon2.go) and,
// on amd64 CPUs with AVX2, assembly (argon2_amd64.s) that runs P on four
// columns of the 4x4 matrix at once; the build tag purego keeps to the
// portable one. With both cores hashing at m=19456,t=2,p=1 the portable
// form did about 1.5 and the AVX2 one about 2.7 times x/crypto's SSE4.1
// hashes per second (BenchmarkArgon2idParallelRatio), and both reuse their
// 19 MiB work area between calls where x/crypto allocates one per call.
// A third-party Argon2 module was not adopted: the code is
// small, pinned down by the vectors above, and keeps a new dependency out
// of the credential path; cgo bindings to libargon2 are ruled out by
// CGO_ENABLED=0.
//
// # Bounded concurrency
//
// Every computation (Hash, Verify with its possible rehash, DummyVerify)
// first takes one of Options.Concurrency slots (default GOMAXPROCS) and runs
// on the caller's goroutine; callers beyond that queue until a slot frees or
// their context ends. Argon2 at upstream's defaults holds 19 MiB for tens of
// milliseconds, so the bound caps hashing memory at Concurrency × 19 MiB
// whatever the login burst. Stats reports capacity, running and waiting
// counts for metrics.
//
// # Timing
//
// When the account does not exist (or has no password), callers should call
// DummyVerify, which verifies a fixed, never-matching hash of the newest
// scheme and so costs what a real verification costs.
//
// # Hostile hashes
//
// A stored hash is parsed before it takes a slot and every malformed field
// is reported as ErrMalformedHash with the reason. Parameters that would
// allocate or compute without bound (argon2 memory over 4 GiB, more than
// 65536 passes or 256 lanes, pbkdf2 over 2^26 iterations) are refused rather
// than attempted: in Go an allocation failure ends the process.
package passwords
