#!/bin/sh
# Regenerates the TLS fixtures of the tests (test/fixtures/tls): a throw-away CA, a server
# certificate for 127.0.0.1/localhost and a client certificate, all signed by that CA and valid
# for 100 years. The keys protect nothing but test traffic on 127.0.0.1. Needs openssl.
set -eu
dir="$(dirname "$0")/../test/fixtures/tls"
mkdir -p "$dir"
cd "$dir"
days=36500
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem \
  -days "$days" -subj "/CN=nvidia-cls-exporter test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
for name in server client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name-key.pem" -out "$name.csr" \
    -subj "/CN=nvidia-cls-exporter test $name"
done
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
for name in server client; do
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.pem"
done
# A CA that signed none of the above: a peer that trusts only it must refuse the connection.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -out other-ca.pem \
  -days "$days" -subj "/CN=nvidia-cls-exporter unrelated CA"
rm -f ./*.csr ./*.ext ./*.srl ca-key.pem
