#!/usr/bin/env bash
# Writes a self-signed certificate for 127.0.0.1 and localhost into cert/ (cert.pem, key.pem), for trying HTTPS
# on this machine: npm run tracker -- --tls-cert cert/cert.pem --tls-key cert/key.pem. New; no WeApRous twin.
# A P-256 key (RFC 8446 §9.1: secp256r1 is one every TLS 1.3 implementation must support), valid 30 days.
set -euo pipefail

dir="${1:-cert}"
if ! command -v openssl >/dev/null 2>&1; then
  echo "npm run cert needs openssl, which is not installed: sudo apt-get install openssl (Debian/Ubuntu), brew install openssl (macOS)." >&2
  exit 1
fi
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 600 "$dir/key.pem"
echo "Wrote $dir/cert.pem and $dir/key.pem (self-signed for 127.0.0.1 and localhost, 30 days)."
openssl x509 -in "$dir/cert.pem" -noout -fingerprint -sha256
echo "Clients trust it with: curl --cacert $dir/cert.pem https://127.0.0.1:8000/get-list/"
