"""HTTP front end: turns http.server requests into app requests and back. No API logic here."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .app import build, error, handle
from .query import BadRequest, parse_query

MAX_BODY = 1 << 20


class Request:
    def __init__(self, method, target, body):
        split = urlsplit(target)
        self.method = method
        self.path = split.path
        self.query = parse_query(split.query)
        self.body = body

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BadRequest("body is not valid JSON") from None


def make_handler(router):
    class Handler(BaseHTTPRequestHandler):
        server_version = "notesvc"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                resp = error(413, "body too large")
            else:
                body = self.rfile.read(length) if length else b""
                try:
                    resp = handle(router, Request(self.command, self.path, body))
                except BadRequest as e:
                    resp = error(400, str(e))
            payload = b"" if resp.body is None else json.dumps(resp.body).encode("utf-8")
            self.send_response(resp.status)
            for name, value in resp.headers.items():
                self.send_header(name, value)
            if resp.body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _serve

    return Handler


def serve(store, host, port):
    httpd = ThreadingHTTPServer((host, port), make_handler(build(store)))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
