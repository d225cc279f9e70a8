#!/usr/bin/env bash
# make_web_pki.sh DIR -- certificates for the capture-url HTTPS tests, made with openssl:
#   ca.pem ca.key                 a test root CA
#   leaf.pem leaf.key             valid leaf for 127.0.0.1 and localhost, signed by the CA
#   expired.pem expired.key       a leaf signed by the CA, valid 2020-01-01 .. 2021-01-01
#   selfsigned.pem selfsigned.key a self-signed leaf for 127.0.0.1 (not signed by the CA)
#   other-ca.pem                  an unrelated CA (a wrong trust anchor)
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
quiet() { "$@" >/dev/null 2>&1 || { echo "make_web_pki: failed: $*" >&2; "$@"; exit 1; }; }

quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 \
    -subj "/O=cbkit tests/CN=cbkit test web CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key -out other-ca.pem -days 3650 \
    -subj "/O=cbkit tests/CN=unrelated CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign

cat >leaf.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EOF

# Valid leaf.
quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj "/O=cbkit tests/CN=127.0.0.1"
quiet openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 30 -extfile leaf.ext

# Expired leaf: `openssl ca` is the one tool that takes explicit start and end dates.
mkdir -p ca-db
: >ca-db/index.txt
echo 1000 >ca-db/serial
cat >ca.cnf <<EOF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
organizationName = optional
EOF
quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout expired.key -out expired.csr -subj "/O=cbkit tests/CN=127.0.0.1"
quiet openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -startdate 20200101000000Z -enddate 20210101000000Z \
    -extfile leaf.ext -notext

# Self-signed leaf.
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout selfsigned.key -out selfsigned.pem -days 30 \
    -subj "/O=cbkit tests/CN=127.0.0.1" -addext subjectAltName=IP:127.0.0.1,DNS:localhost
