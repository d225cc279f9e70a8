#!/usr/bin/env python3
"""A small HTTP/HTTPS server for the capture-url tests, on 127.0.0.1 only.

    web_server.py --port-file FILE [--cert CERT --key KEY] [--chain CHAIN]

Listens on a free port (written to FILE once listening), plain HTTP, or HTTPS when a
certificate is given. Routes:

  /page            200 text/html with a Date header
  /r1 -> /r2 -> /r3 -> /page   a 3-hop redirect chain (302, 301, 307)
  /gone            404 text/html
  /gzip            200 text/html, Content-Encoding: gzip
  /chunked         200 text/plain, Transfer-Encoding: chunked (3 chunks)
  /chunked-gzip    gzip content sent chunked
  /large?size=N    200 application/octet-stream, N bytes of a fixed pattern, Content-Length
  /slow            waits 30 s before answering (timeouts)
  /stall           headers and 1000 bytes of a 100000-byte body, then waits 30 s
  /endless         200, no Content-Length, bytes until the client hangs up (size limit)
  /loop-a -> /loop-b -> /loop-a   a redirect loop
  /to-file         302 to file:///etc/passwd
  /set-cookie      302 to /echo, setting cookie hop=1
  /echo            200 text/plain: the request line and headers exactly as received
  /brotli          200 with Content-Encoding: br (bytes not decodable by cbkit)
  /drip            200, Content-Length 1000, one byte every 0.3 s (never idle, never done)
  /gzip-bomb?size=N  200, Content-Encoding: gzip, gzip: N zero bytes compressed twice
"""

import argparse
import gzip
import http.server
import os
import socketserver
import ssl
import sys
import time

PAGE = b"<!doctype html><html><head><title>Post 123</title></head><body><p>You will regret this.</p></body></html>\n"
GZ_TEXT = b"<html><body>" + b"compressed threat text " * 200 + b"</body></html>\n"


def pattern(n):
    block = bytes((i * 7 + 3) % 251 for i in range(65536))
    full, rest = divmod(n, len(block))
    return block, full, rest


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TestServer/1.0"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype="text/html; charset=utf-8", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, code, location, extra=()):
        self.send(code, b"moved\n", "text/plain", [("Location", location)] + list(extra))

    def chunked(self, chunks, ctype, extra=()):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        for c in chunks:
            self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self):
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if path == "/page":
            self.send(200, PAGE)
        elif path == "/r1":
            self.redirect(302, "/r2")
        elif path == "/r2":
            self.redirect(301, "r3")  # relative reference
        elif path == "/r3":
            self.redirect(307, "/page")
        elif path == "/gone":
            self.send(404, b"<html><body>This post was removed.</body></html>\n")
        elif path == "/gzip":
            self.send(200, gzip.compress(GZ_TEXT, mtime=0), extra=[("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")])
        elif path == "/chunked":
            self.chunked([b"first chunk\n", b"second chunk\n", b"third\n"], "text/plain; charset=utf-8")
        elif path == "/chunked-gzip":
            data = gzip.compress(GZ_TEXT, mtime=0)
            self.chunked([data[: len(data) // 2], data[len(data) // 2 :]], "text/html", [("Content-Encoding", "gzip")])
        elif path == "/brotli":
            self.send(200, b"\x1b\x03\x00\xf8\x25\x00\xa2\x40\x02", extra=[("Content-Encoding", "br")])
        elif path == "/large":
            n = int(params.get("size", "1000000"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block, full, rest = pattern(n)
            try:
                for _ in range(full):
                    self.wfile.write(block)
                self.wfile.write(block[:rest])
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/slow":
            time.sleep(30)
            self.send(200, PAGE)
        elif path == "/stall":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            time.sleep(30)
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"endless " * 8192
            try:
                while True:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                pass
            self.close_connection = True
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"d")
                    self.wfile.flush()
                    time.sleep(0.3)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                pass
            self.close_connection = True
        elif path == "/gzip-bomb":
            n = int(params.get("size", "100000000"))
            inner = gzip.compress(b"\0" * n, compresslevel=9, mtime=0)
            self.send(200, gzip.compress(inner, compresslevel=9, mtime=0), "text/html",
                      extra=[("Content-Encoding", "gzip, gzip")])
        elif path == "/loop-a":
            self.redirect(302, "/loop-b")
        elif path == "/loop-b":
            self.redirect(302, "/loop-a")
        elif path == "/to-file":
            self.redirect(302, "file:///etc/passwd")
        elif path == "/set-cookie":
            self.redirect(302, "/echo", [("Set-Cookie", "hop=1; Path=/")])
        elif path == "/echo":
            lines = [self.requestline] + ["%s: %s" % (k, v) for k, v in self.headers.items()]
            self.send(200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8")
        else:
            self.send(404, b"no such route\n", "text/plain")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--chain", help="intermediate/CA certificates sent after the leaf")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if a.chain:
            # The leaf followed by the chain, in one file, as servers are configured.
            combined = a.cert + ".full"
            with open(combined, "wb") as out:
                out.write(open(a.cert, "rb").read() + open(a.chain, "rb").read())
            ctx.load_cert_chain(combined, a.key)
        else:
            ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
