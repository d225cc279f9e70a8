#!/usr/bin/env python3
"""HTTP server for tests/cli/wacz.sh and the --browser-profile tests (127.0.0.1 only).

    wacz_server.py PORT_FILE STATIC_DIR

  /page.html     a page with a known marker text and title (what is captured and replayed)
  /login         sets the persistent cookie "session" (the value is a secret the tests look
                 for: it must never reach the case) and a second cookie "theme"
  /whoami.html   "LOGGED IN AS alice" when the request carries session=..., else "NOT LOGGED IN"
  /static/NAME   files of STATIC_DIR (ReplayWeb.page's ui.js and sw.js, the test's index.html,
                 the .wacz), with HTTP range requests, as the WACZ spec asks of a host
Writes the port to PORT_FILE once it accepts connections.
"""
import http.server
import os
import re
import sys
import threading

SECRET = "s3cr3t-session-value-4711"


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
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/page.html":
            body = (b"<!DOCTYPE html><html><head><title>Harassing post 42</title></head><body>"
                    b"<h1>WACZ-REPLAY-MARKER-9d41</h1><p>You will regret this.</p></body></html>")
            return self.send_body(200, "text/html; charset=utf-8", body)
        if path == "/login":
            return self.send_body(200, "text/html; charset=utf-8", b"<html><body>logged in</body></html>", [
                ("Set-Cookie", f"session={SECRET}; Path=/; Max-Age=86400; HttpOnly"),
                ("Set-Cookie", "theme=dark; Path=/; Max-Age=86400"),
            ])
        if path == "/whoami.html":
            cookie = self.headers.get("Cookie", "")
            who = b"LOGGED IN AS alice" if ("session=" + SECRET) in cookie else b"NOT LOGGED IN"
            body = b"<!DOCTYPE html><html><head><title>whoami</title></head><body><h1>" + who + b"</h1></body></html>"
            return self.send_body(200, "text/html; charset=utf-8", body)
        if path.startswith("/static/"):
            name = os.path.normpath(path[len("/static/"):])
            full = os.path.join(STATIC, name)
            if name.startswith("..") or not os.path.isfile(full):
                return self.send_body(404, "text/plain", b"not found\n")
            with open(full, "rb") as f:
                data = f.read()
            ctype = {"html": "text/html; charset=utf-8", "js": "application/javascript", "wacz": "application/wacz"}.get(
                name.rsplit(".", 1)[-1], "application/octet-stream")
            extra = [("Accept-Ranges", "bytes"), ("Access-Control-Allow-Origin", "*")]
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = int(m.group(2)) if m.group(2) else len(data) - 1
                else:
                    start = max(0, len(data) - int(m.group(2)))
                    end = len(data) - 1
                end = min(end, len(data) - 1)
                if start > end:
                    return self.send_body(416, "text/plain", b"", [("Content-Range", f"bytes */{len(data)}")])
                return self.send_body(206, ctype, data[start:end + 1],
                                      extra + [("Content-Range", f"bytes {start}-{end}/{len(data)}")])
            return self.send_body(200, ctype, data, extra)
        self.send_body(404, "text/plain", b"not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    port_file, STATIC = sys.argv[1], sys.argv[2]
    server = Server(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()
