#!/usr/bin/env python3
"""tsa_server.py PKI_DIR PORT_FILE -- a local RFC 3161 TSA for the tests (127.0.0.1 only).

Usage (from a tests/cli/*.sh script that sourced lib.sh):

    bash "$TESTS_DIR/support/make_tsa_pki.sh" "$T/pki"
    "$PY" "$TESTS_DIR/support/tsa_server.py" "$T/pki" "$T/tsa.port" 2>"$T/tsa.log" &
    at_exit "kill $!"
    for _ in $(seq 100); do [[ -s $T/tsa.port ]] && break; sleep 0.05; done
    TSA="http://127.0.0.1:$(cat "$T/tsa.port")"
    cbkit --case "$C" timestamp --tsa "$TSA/tsr" --tsa-ca "$T/pki/ca.pem"

It listens on an ephemeral port of 127.0.0.1 (port 0), writes the port number to
PORT_FILE (atomically, with a final newline) and prints it on stdout. Every POST is
answered by `openssl ts -reply -config PKI_DIR/tsa.cnf` (so the tokens are OpenSSL's own,
signed by PKI_DIR/tsa.pem, carrying tsa.pem and ca.pem); the URL path picks a behaviour:

    /tsr            a good token for the query (any other path too)
    /garbage        200, application/timestamp-reply, 300 random bytes
    /wrong-hash     200, a valid token for another imprint (same nonce)
    /wrong-nonce    200, a valid token for the same imprint but another nonce
    /bad-signature  200, a good token with the last byte of its signature flipped
    /reject         200, a TimeStampResp with status rejection (badAlg) and no token
    /wrong-type     200, a good token sent as text/html
    /http500        500, text/plain
    /redirect       302 to ftp://127.0.0.1/tsr (must not be followed)
    /slow           sleeps $TSA_SLOW_SECONDS (default 10) then answers a good token
    /huge           200, application/timestamp-reply, 2 MiB of zeros

Each request is logged as one line "<path> <query bytes>" to PKI_DIR/requests.log and the
last query is kept as PKI_DIR/last.tsq, so a test can check what the client sent.
"""

import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time

PKI = os.path.abspath(sys.argv[1])
PORT_FILE = sys.argv[2]
LOCK = threading.Lock()  # openssl ts -reply updates the serial file
SHA256_OID = bytes.fromhex("0609608648016503040201")


def reply(query: bytes) -> bytes:
    """A TimeStampResp from openssl ts -reply for a DER query."""
    with LOCK, tempfile.TemporaryDirectory() as tmp:
        q = os.path.join(tmp, "q.tsq")
        r = os.path.join(tmp, "r.tsr")
        with open(q, "wb") as f:
            f.write(query)
        subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(PKI, "tsa.cnf"), "-queryfile", q, "-out", r],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(r, "rb") as f:
            return f.read()


def query_for(digest_hex: str, nonce: bool = True) -> bytes:
    """A fresh query (openssl ts -query) over a SHA-256 given in hex, certReq set."""
    args = ["openssl", "ts", "-query", "-digest", digest_hex, "-sha256", "-cert"]
    if not nonce:
        args.append("-no_nonce")
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def replace_digest(query: bytes, new_digest: bytes) -> bytes:
    """The query with its SHA-256 imprint replaced (same length, so the DER stays valid)."""
    at = query.find(SHA256_OID)
    if at < 0:
        raise ValueError("not a SHA-256 query")
    octets = query.find(b"\x04\x20", at)
    return query[:octets + 2] + new_digest + query[octets + 34:]


def digest_of(query: bytes) -> bytes:
    at = query.find(SHA256_OID)
    octets = query.find(b"\x04\x20", at)
    return query[octets + 2:octets + 34]


def der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def rejection() -> bytes:
    """TimeStampResp { status { rejection, "...", failInfo badAlg } } with no token."""
    text = der(0x30, der(0x0C, b"request refused by the cbkit test TSA"))
    fail_info = bytes([0x03, 0x02, 0x07, 0x80])  # BIT STRING, bit 0 (badAlg)
    return der(0x30, der(0x30, bytes([0x02, 0x01, 0x02]) + text + fail_info))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if os.environ.get("TSA_SERVER_VERBOSE"):
            super().log_message(fmt, *args)

    def send(self, status: int, body: bytes, ctype: str = "application/timestamp-reply", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        self.send(405, b"POST a TimeStampReq\n", "text/plain")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        query = self.rfile.read(n)
        path = self.path.split("?")[0]
        with open(os.path.join(PKI, "requests.log"), "a") as log:
            log.write(f"{path} {len(query)} {self.headers.get('Content-Type', '')}\n")
        with open(os.path.join(PKI, "last.tsq"), "wb") as f:
            f.write(query)
        try:
            if path == "/garbage":
                return self.send(200, os.urandom(300))
            if path == "/huge":
                return self.send(200, bytes(2 << 20))
            if path == "/reject":
                return self.send(200, rejection())
            if path == "/http500":
                return self.send(500, b"internal error\n", "text/plain")
            if path == "/redirect":
                return self.send(302, b"", "text/plain", {"Location": "ftp://127.0.0.1/tsr"})
            if path == "/wrong-hash":
                other = bytes(b ^ 0xFF for b in digest_of(query))
                return self.send(200, reply(replace_digest(query, other)))
            if path == "/wrong-nonce":
                return self.send(200, reply(query_for(digest_of(query).hex())))
            if path == "/slow":
                time.sleep(float(os.environ.get("TSA_SLOW_SECONDS", "10")))
            token = reply(query)
            if path == "/bad-signature":
                token = token[:-1] + bytes([token[-1] ^ 0x01])
            if path == "/wrong-type":
                return self.send(200, token, "text/html")
            return self.send(200, token)
        except (subprocess.CalledProcessError, ValueError) as e:
            return self.send(400, f"bad query: {e}\n".encode(), "text/plain")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    tmp = PORT_FILE + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, PORT_FILE)
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
