#!/usr/bin/env bash
# Regenerates the shared test PKI with the openssl CLI (written for OpenSSL 3.0).
#
#   root CA (ECDSA P-256) -> intermediate CA (ECDSA P-256, pathlen:0) -> leaves
#
# Server leaves, one per key type: ECDSA P-256/P-384/P-521, RSA-2048 (rsaEncryption),
# RSA-PSS-2048 (id-RSASSA-PSS key), Ed25519, Ed448. Each has SAN DNS:localhost,
# DNS:wiretls.test, IP:127.0.0.1, IP:::1 and EKU serverAuth+clientAuth. One client leaf
# (ECDSA P-256, EKU clientAuth, SAN DNS:client.wiretls.test).
#
# Every certificate is valid from 2025-01-01 to 2125-01-01 (fixed dates through `openssl ca`,
# because `openssl x509 -not_before` only exists from 3.4), so the fixtures do not rot.
# Keys are unencrypted PKCS#8 PEM. Keys are random: re-running changes every file, which is
# fine, the committed output is the reference.
#
# Output (in this directory):
#   root.pem, root-key.pem                        trust anchor
#   intermediate.pem, intermediate-key.pem
#   <leaf>.pem, <leaf>-key.pem, <leaf>-chain.pem  (chain = leaf + intermediate, as sent on the wire)
# with <leaf> in server-ecdsa-p256 server-ecdsa-p384 server-ecdsa-p521 server-rsa2048
# server-rsapss2048 server-ed25519 server-ed448 client-ecdsa-p256.
set -euo pipefail

cd "$(dirname "$0")"
OUT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

START=20250101000000Z
END=21250101000000Z

cat > "$WORK/ca.cnf" <<CNF
[ ca ]
default_ca = wiretls_ca

[ wiretls_ca ]
dir             = $WORK
database        = $WORK/index.txt
new_certs_dir   = $WORK/newcerts
serial          = $WORK/serial
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = no
preserve        = yes

[ policy_any ]
commonName             = supplied
organizationName       = optional
organizationalUnitName = optional

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder

[ root_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ intermediate_ext ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ server_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, DNS:wiretls.test, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ client_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = DNS:client.wiretls.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF

mkdir "$WORK/newcerts"
: > "$WORK/index.txt"
echo 1000 > "$WORK/serial"

genkey() { # name, genpkey arguments...
  local name=$1; shift
  openssl genpkey "$@" -out "$OUT/$name-key.pem" 2>/dev/null
}

# issue <name> <subject CN> <extension section> <issuer cert or "self"> <issuer key>
issue() {
  local name=$1 cn=$2 ext=$3 issuer=$4 issuer_key=$5
  openssl req -new -config "$WORK/ca.cnf" -key "$OUT/$name-key.pem" \
    -subj "/O=wiretls test PKI/CN=$cn" -out "$WORK/$name.csr"
  if [ "$issuer" = self ]; then
    openssl ca -batch -notext -config "$WORK/ca.cnf" -selfsign -keyfile "$OUT/$name-key.pem" \
      -startdate $START -enddate $END -extensions "$ext" -in "$WORK/$name.csr" -out "$OUT/$name.pem" 2>/dev/null
  else
    openssl ca -batch -notext -config "$WORK/ca.cnf" -cert "$issuer" -keyfile "$issuer_key" \
      -startdate $START -enddate $END -extensions "$ext" -in "$WORK/$name.csr" -out "$OUT/$name.pem" 2>/dev/null
  fi
}

genkey root -algorithm EC -pkeyopt ec_paramgen_curve:P-256
issue root "wiretls test root CA" root_ext self ""

genkey intermediate -algorithm EC -pkeyopt ec_paramgen_curve:P-256
issue intermediate "wiretls test intermediate CA" intermediate_ext "$OUT/root.pem" "$OUT/root-key.pem"

leaf() { # name, extension section, CN, genpkey arguments...
  local name=$1 ext=$2 cn=$3; shift 3
  genkey "$name" "$@"
  issue "$name" "$cn" "$ext" "$OUT/intermediate.pem" "$OUT/intermediate-key.pem"
  cat "$OUT/$name.pem" "$OUT/intermediate.pem" > "$OUT/$name-chain.pem"
}

leaf server-ecdsa-p256  server_ext "wiretls test server (ECDSA P-256)" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
leaf server-ecdsa-p384  server_ext "wiretls test server (ECDSA P-384)" -algorithm EC -pkeyopt ec_paramgen_curve:P-384
leaf server-ecdsa-p521  server_ext "wiretls test server (ECDSA P-521)" -algorithm EC -pkeyopt ec_paramgen_curve:P-521
leaf server-rsa2048     server_ext "wiretls test server (RSA-2048)"    -algorithm RSA -pkeyopt rsa_keygen_bits:2048
leaf server-rsapss2048  server_ext "wiretls test server (RSA-PSS-2048)" -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048
leaf server-ed25519     server_ext "wiretls test server (Ed25519)"     -algorithm ED25519
leaf server-ed448       server_ext "wiretls test server (Ed448)"       -algorithm ED448
leaf client-ecdsa-p256  client_ext "wiretls test client (ECDSA P-256)" -algorithm EC -pkeyopt ec_paramgen_curve:P-256

# Self-check: every leaf verifies against root.pem through its chain file.
for f in "$OUT"/*-chain.pem; do
  openssl verify -no-CApath -no-CAstore -CAfile "$OUT/root.pem" -untrusted "$f" -attime 1800000000 \
    "${f%-chain.pem}.pem" > /dev/null
done
echo "PKI written to $OUT"
