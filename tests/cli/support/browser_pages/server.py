#!/usr/bin/env python3
"""Tiny HTTP server for the browser tests (127.0.0.1 only).

    server.py PORT_FILE LOG_FILE

Serves the .html pages of this folder, plus:
  /pixel.png   a 4x4 blue PNG made here (the image of image.html)
  /hang.html   a page whose response never ends: the head and some text, then silence
  /gzip.html   js.html sent with Content-Encoding: gzip
  /redirect    302 to /image.html
Writes the port it listens on to PORT_FILE once it accepts connections, and one line
"METHOD PATH" per request to LOG_FILE.
"""
import gzip
import http.server
import os
import struct
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
STOP = threading.Event()


def png_4x4_blue():
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x00\x00\xff" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_body(self, status, ctype, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with open(LOG, "a") as log:
            log.write(f"{self.command} {self.path}\n")
        path = self.path.split("?")[0]
        if path == "/pixel.png":
            return self.send_body(200, "image/png", png_4x4_blue())
        if path == "/gzip.html":
            with open(os.path.join(HERE, "js.html"), "rb") as f:
                return self.send_body(200, "text/html; charset=utf-8", gzip.compress(f.read()), [("Content-Encoding", "gzip")])
        if path == "/redirect":
            return self.send_body(302, "text/plain", b"moved\n", [("Location", "/image.html")])
        if path == "/hang.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"<!DOCTYPE html><html><head><title>never ends</title></head><body>"
                             b"<h1>STILL LOADING PAGE</h1>" + b" " * 2048)
            self.wfile.flush()
            while not STOP.wait(0.5):
                pass
            return
        name = path.lstrip("/")
        if name.endswith(".html") and "/" not in name and os.path.isfile(os.path.join(HERE, name)):
            with open(os.path.join(HERE, name), "rb") as f:
                return self.send_body(200, "text/html; charset=utf-8", f.read())
        self.send_body(404, "text/plain", b"not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    port_file, LOG = sys.argv[1], sys.argv[2]
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, port_file)
    try:
        srv.serve_forever()
    finally:
        STOP.set()
