"""HTTP endpoints: /health, /items?page=N, /items/<sku>. JSON only, read-only."""

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("catalog")


def make_handler(settings, catalog):
    class Handler(BaseHTTPRequestHandler):
        server_version = "catalog/0.9"

        def send_json(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if settings.cors_origin:
                self.send_header("Access-Control-Allow-Origin", settings.cors_origin)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            if parts == ["health"]:
                self.send_json(200, {
                    "status": "ok",
                    "banner": settings.banner,
                    "items": len(catalog.items),
                    "page_size": settings.page_size,
                    "cache_seconds": settings.cache_seconds,
                })
            elif parts == ["items"]:
                query = parse_qs(url.query)
                try:
                    number = int(query.get("page", ["1"])[0])
                except ValueError:
                    number = 0
                items, pages = catalog.page(max(number, 1), settings.page_size)
                if number < 1 or number > pages:
                    self.send_json(404, {"error": f"no page {query.get('page', ['?'])[0]}"})
                    return
                self.send_json(200, {"page": number, "pages": pages, "items": items})
            elif len(parts) == 2 and parts[0] == "items" and parts[1] in catalog.by_sku:
                self.send_json(200, catalog.by_sku[parts[1]])
            else:
                self.send_json(404, {"error": "not found"})

        def log_message(self, fmt, *args):
            log.info("%s %s", self.address_string(), fmt % args)

    return Handler


def serve(settings, catalog):
    httpd = ThreadingHTTPServer((settings.host, settings.port), make_handler(settings, catalog))
    log.info("catalog listening on %s:%d (%d items)", settings.host, settings.port,
             len(catalog.items))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
