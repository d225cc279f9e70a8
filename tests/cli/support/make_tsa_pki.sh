#!/usr/bin/env bash
# make_tsa_pki.sh DIR -- a throw-away PKI for a local RFC 3161 TSA (tests only).
#
# Usage (from a tests/cli/*.sh script):
#     bash "$TESTS_DIR/support/make_tsa_pki.sh" "$T/pki"
# then start tests/cli/support/tsa_server.py on "$T/pki" (see the top of that file).
#
# Writes into DIR (created; EC P-256 keys, so it takes a fraction of a second):
#   ca.pem, ca.key          root CA "cbkit test TSA root" (the right --tsa-ca)
#   tsa.pem, tsa.key        TSA leaf signed by the root: critical extendedKeyUsage
#                           timeStamping, keyUsage digitalSignature+nonRepudiation
#   tsa-chain.pem           tsa.pem then ca.pem (what `-untrusted` wants)
#   other-ca.pem, other-ca.key  an unrelated root CA (the wrong --tsa-ca)
#   tsa.cnf                 `openssl ts -reply -config DIR/tsa.cnf` configuration
#                           (policy 1.3.6.1.4.1.99999.1, accuracy 1.5 s, sha256/384/512,
#                           signer tsa.pem, the root included in tokens, serial in DIR/tsaserial)
# Every file name is stable: tests may rely on them.
set -euo pipefail
[[ $# == 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca NAME SUBJECT -- a self-signed root valid for 10 years.
ca() {
    key "$1.key"
    openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 3650 -subj "$2" -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null
}

ca ca "/C=BE/O=cbkit tests/CN=cbkit test TSA root"
ca other-ca "/C=BE/O=someone else/CN=unrelated root"

key tsa.key
openssl req -new -key tsa.key -out tsa.csr -subj "/C=BE/O=cbkit tests/CN=cbkit test TSA" 2>/dev/null
cat >tsa.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -set_serial 0x1001 -days 3650 -sha256 \
    -extfile tsa.ext -out tsa.pem 2>/dev/null
rm -f tsa.csr tsa.ext
cat tsa.pem ca.pem >tsa-chain.pem
echo 01 >tsaserial

cat >tsa.cnf <<CNF
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = $dir
serial = \$dir/tsaserial
crypto_device = builtin
signer_cert = \$dir/tsa.pem
certs = \$dir/ca.pem
signer_key = \$dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
