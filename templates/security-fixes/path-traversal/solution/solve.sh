# Oracle for security-fixes/path-traversal: run in /workspace by the agent's shell.
# One path check for every entry point: resolve the real path (following symlinks) and require
# it to be the share or below it; no raw-path pre-checks that decoding bypasses; recheck after
# creating parent folders; archives: only plain files and folders, member names relative and
# free of `..`, every member's target checked before anything is written.
cd /workspace &&
cat > docshare/storage.py <<'PYFILE' &&
"""The shared folder: reading, writing, listing and importing archives."""

import io
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from .errors import BadRequest, Forbidden, NotFound


class Share:
    def __init__(self, root):
        self.root = Path(root).resolve()

    def _resolve(self, rel, base=None):
        """The real path of `rel` (a path relative to `base`, default the root); refuses
        anything that ends up outside the root, also through symlinks."""
        base = self.root if base is None else base
        if "\x00" in rel:
            raise BadRequest("NUL in path")
        target = (base / rel.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            raise Forbidden(rel)
        return target

    def read(self, rel):
        path = self._resolve(rel)
        if not path.is_file():
            raise NotFound(rel)
        return path.read_bytes()

    def write(self, rel, data):
        path = self._resolve(rel)
        if path == self.root or path.is_dir():
            raise BadRequest(f"{rel} is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        # The parent may only now exist: check again where it really is.
        path = self._resolve(rel)
        path.write_bytes(data)

    def listdir(self, rel):
        path = self._resolve(rel)
        if not path.is_dir():
            raise NotFound(rel)
        return sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir())

    def import_archive(self, name, data):
        """Unpacks a .tar, .tar.gz, .tgz or .zip archive into a folder named after it; returns
        the number of files written. Archives may hold only plain files and folders."""
        stem, members = _read_archive(name, data)
        dest = self._resolve(stem)
        plan = []
        for member_name, is_dir, content in members:
            pure = PurePosixPath(member_name)
            if pure.is_absolute() or ".." in pure.parts or not member_name.strip("/"):
                raise BadRequest(f"unsafe archive member {member_name!r}")
            plan.append((self._resolve(member_name, dest), is_dir, content))
        count = 0
        for path, is_dir, content in plan:
            if is_dir:
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            count += 1
        return count


def _read_archive(name, data):
    """(folder name, [(member name, is folder, bytes)]) of an archive; refuses links, devices
    and anything that is neither a plain file nor a folder."""
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            break
    else:
        raise BadRequest(f"{name}: not a .tar, .tar.gz, .tgz or .zip archive")
    if "/" in stem or stem in (".", ".."):
        raise BadRequest(f"bad archive name {name!r}")
    members = []
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    kind = stat.S_IFMT(info.external_attr >> 16)
                    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                        raise BadRequest(f"archive member {info.filename!r} is not a plain file")
                    members.append((info.filename, info.is_dir(),
                                    b"" if info.is_dir() else zf.read(info)))
        else:
            with tarfile.open(fileobj=io.BytesIO(data)) as tf:
                for info in tf.getmembers():
                    if not (info.isfile() or info.isdir()):
                        raise BadRequest(f"archive member {info.name!r} is not a plain file")
                    members.append((info.name, info.isdir(),
                                    b"" if info.isdir() else tf.extractfile(info).read()))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise BadRequest(f"{name}: unreadable archive: {e}") from None
    return stem, members
PYFILE
cat > docshare/server.py <<'PYFILE' &&
"""HTTP front end: GET/PUT /files/<path>, GET /list/<path>, POST /import?name=<archive>."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import BadRequest, ShareError

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
PYFILE
python3 -c "import docshare.storage, docshare.server" && echo docshare patched
