"""HTTP front end: GET/PUT /files/<path>, GET /list/<path>, POST /import?name=<archive>."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import BadRequest, Forbidden, ShareError

MAX_BODY = 50 * 1024 * 1024


def make_handler(share):
    class Handler(BaseHTTPRequestHandler):
        server_version = "docshare/1.6"

        def reply(self, status, body, ctype="application/json"):
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def route(self):
            url = urlsplit(self.path)
            if ".." in url.path.split("/"):
                raise Forbidden(url.path)
            for prefix in ("/files/", "/list/"):
                if url.path.startswith(prefix) or url.path == prefix.rstrip("/"):
                    return prefix.strip("/"), unquote(url.path[len(prefix):]), url
            return url.path.strip("/"), "", url

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise BadRequest("body too large")
            return self.rfile.read(length)

        def handle_errors(self, action):
            try:
                action()
            except ShareError as e:
                self.reply(e.status, {"error": type(e).__name__})
            except (OSError, ValueError):
                self.reply(400, {"error": "BadRequest"})

        def do_GET(self):
            def action():
                kind, rel, _ = self.route()
                if kind == "files":
                    self.reply(200, share.read(rel), "application/octet-stream")
                elif kind == "list":
                    self.reply(200, {"entries": share.listdir(rel)})
                else:
                    self.reply(404, {"error": "NotFound"})
            self.handle_errors(action)

        def do_PUT(self):
            def action():
                kind, rel, _ = self.route()
                if kind != "files":
                    self.reply(404, {"error": "NotFound"})
                    return
                share.write(rel, self.body())
                self.reply(201, {"written": rel})
            self.handle_errors(action)

        def do_POST(self):
            def action():
                kind, _, url = self.route()
                if kind != "import":
                    self.reply(404, {"error": "NotFound"})
                    return
                name = (parse_qs(url.query).get("name") or [""])[0]
                count = share.import_archive(name, self.body())
                self.reply(201, {"files": count})
            self.handle_errors(action)

        def log_message(self, fmt, *args):
            pass

    return Handler


def serve(share, host, port):
    httpd = ThreadingHTTPServer((host, port), make_handler(share))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
