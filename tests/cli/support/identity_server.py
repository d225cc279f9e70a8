#!/usr/bin/env python3
"""Pages in the shapes social platforms use, for the identity tests, on 127.0.0.1 only.

    identity_server.py --port-file FILE

Also an HTTP forward proxy for them: `capture-url --proxy http://127.0.0.1:PORT
http://www.instagram.com/samh/` asks this server for the absolute URL, so the capture
records the platform's host as its WARC-Target-URI, as a real capture would. Pages (host
and path of the absolute URL; a plain request uses its path on any host):

  www.instagram.com/samh/      profile HTML, logged in: the viewer's id in the page state and
                               in a Set-Cookie ds_user_id, the subject's profile_id; gzip
  x.com/i/api/graphql/q/UserByScreenName   the XHR JSON of a user: rest_id, screen_name
  www.tiktok.com/@sam_h        __UNIVERSAL_DATA_FOR_REHYDRATION__ with the viewer's app
                               context before the user detail; chunked
  www.example.org/plain        a page with no marker at all
  /samx/                       logged-in profile shell (the viewer's id only, its canonical
                               URL Instagram's) whose script fetches the XHR below, for
                               --browser (Chromium upgrades HSTS-preloaded hosts to https,
                               so this one is asked for on 127.0.0.1, not through the proxy)
  www.instagram.com/api/v1/users/web_profile_info/?username=samx   the subject, as JSON
"""

import argparse
import gzip
import http.server
import os
import socketserver
import sys
import urllib.parse

VIEWER = "999000111"
SUBJECT = "1234567"

INSTAGRAM = (
    '<!doctype html><html><head><title>Sam (@samh)</title>'
    '<link rel="canonical" href="https://www.instagram.com/samh/">'
    '<script type="application/json">{"config":{"viewerId":"' + VIEWER + '","csrf_token":"x"},'
    '"entry":{"profile_id":"' + SUBJECT + '","username":"samh"}}</script>'
    '</head><body>Sam</body></html>'
)

X_USER = (
    '{"data":{"user":{"result":{"__typename":"User","id":"VXNlcjo0NDE5NjM5Nw==","rest_id":"44196397",'
    '"legacy":{"name":"Sam H","screen_name":"samh"}}}}}'
)

TIKTOK = (
    '<html><head><script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
    '{"__DEFAULT_SCOPE__":{"webapp.app-context":{"user":{"uid":"6999000000000000001","uniqueId":"victim_own"}},'
    '"webapp.user-detail":{"userInfo":{"user":{"id":"6812345678901234567","uniqueId":"sam_h","nickname":"Sam",'
    '"secUid":"MS4wLjABAAAAabcDEF_-123"}}}}}</script></head><body></body></html>'
)

SHELL = (
    '<!doctype html><html><head><title>Instagram</title>'
    '<link rel="canonical" href="https://www.instagram.com/samx/">'
    '<script type="application/json">{"config":{"viewerId":"' + VIEWER + '"}}</script></head>'
    '<body><p id="who">loading</p><script>'
    'fetch("/api/v1/users/web_profile_info/?username=samx").then(r => r.json())'
    '.then(j => { document.getElementById("who").textContent = j.data.user.username; });'
    '</script></body></html>'
)

PROFILE_INFO = (
    '{"data":{"user":{"biography":"","full_name":"Sam X","id":"7654321","username":"samx",'
    '"edge_owner_to_timeline_media":{"count":0,"edges":[]}}},"status":"ok"}'
)

PLAIN = "<html><head><title>Nothing here</title></head><body>{\"id\":\"12345\"} no marker</body></html>"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write(fmt % args + "\n")

    def send(self, body, ctype, extra=(), coding=None, chunked=False):
        data = body.encode("utf-8")
        if coding == "gzip":
            data = gzip.compress(data, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        if coding:
            self.send_header("Content-Encoding", coding)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(data) // 2
            for part in (data[:half], data[half:]):
                self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        if path == "/samh/":
            self.send(INSTAGRAM, "text/html; charset=utf-8",
                      [("Set-Cookie", "ds_user_id=" + VIEWER + "; Domain=.instagram.com; Path=/; Secure")], coding="gzip")
        elif path.endswith("/UserByScreenName"):
            self.send(X_USER, "application/json")
        elif path == "/@sam_h":
            self.send(TIKTOK, "text/html; charset=utf-8", chunked=True)
        elif path == "/samx/":
            self.send(SHELL, "text/html; charset=utf-8")
        elif path == "/api/v1/users/web_profile_info/":
            self.send(PROFILE_INFO, "application/json; charset=utf-8")
        elif path == "/plain":
            self.send(PLAIN, "text/html")
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
