#!/bin/sh
# Regenerates the key fixtures used by the tests. Run from this directory.
# The password of every encrypted fixture is "correct-horse".
set -eu
P=correct-horse

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa_pkcs8.pem
openssl pkcs8 -topk8 -nocrypt -in rsa_pkcs8.pem -outform DER -out rsa_pkcs8.der
openssl rsa -in rsa_pkcs8.pem -traditional -out rsa_pkcs1.pem
openssl rsa -in rsa_pkcs8.pem -traditional -outform DER -out rsa_pkcs1.der

for c in P-256:p256 P-384:p384 secp256k1:k256; do
	curve=${c%%:*}
	n=${c##*:}
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$curve" \
		-pkeyopt ec_param_enc:named_curve -out "${n}_pkcs8.pem"
	openssl pkcs8 -topk8 -nocrypt -in "${n}_pkcs8.pem" -outform DER -out "${n}_pkcs8.der"
	openssl ec -in "${n}_pkcs8.pem" -out "${n}_sec1.pem"
	openssl ec -in "${n}_pkcs8.pem" -outform DER -out "${n}_sec1.der"
done

openssl pkcs8 -topk8 -in rsa_pkcs8.pem -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout pass:$P -out rsa_enc_aes256_sha256.pem
openssl pkcs8 -topk8 -in p256_pkcs8.pem -v2 aes-128-cbc -v2prf hmacWithSHA1 -passout pass:$P -out p256_enc_aes128_sha1.pem
openssl pkcs8 -topk8 -in p384_pkcs8.pem -v2 aes-192-cbc -v2prf hmacWithSHA384 -passout pass:$P -out p384_enc_aes192_sha384.pem
openssl pkcs8 -topk8 -in k256_pkcs8.pem -v2 aes-256-cbc -v2prf hmacWithSHA512 -passout pass:$P -out k256_enc_aes256_sha512.pem
openssl pkcs8 -topk8 -in k256_pkcs8.pem -v2 aes-256-cbc -v2prf hmacWithSHA512 -passout pass:$P -outform DER -out k256_enc_aes256_sha512.der
openssl pkcs8 -topk8 -in p256_pkcs8.pem -scrypt -passout pass:$P -out p256_enc_scrypt.pem

# Formats we reject with a specific error.
openssl pkcs8 -topk8 -in rsa_pkcs8.pem -v2 des3 -passout pass:$P -out rsa_enc_des3.pem
openssl rsa -in rsa_pkcs8.pem -traditional -aes256 -passout pass:$P -out rsa_legacy_enc.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521_pkcs8.pem
openssl genpkey -algorithm ED25519 -out ed25519_pkcs8.pem

# "openssl ecparam -genkey" writes an EC PARAMETERS block before the key.
openssl ecparam -name prime256v1 -genkey -out p256_with_params.pem
