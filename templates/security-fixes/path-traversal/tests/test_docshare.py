# Sealed tests of security-fixes/path-traversal. canary: SYNTH-CANARY-9c04f7cd00698188
"""Starts docshare on a share that sits next to secrets (a sibling folder whose name starts
with the share's name, a folder reached by symlinks from inside the share) and attacks every
endpoint with traversal requests; nothing outside the share may be read, listed or written.
Then checks that legitimate requests still work as README.md documents."""

import http.client
import io
import json
import os
import secrets
import socket
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

WORKSPACE = Path("/workspace")
PYTHON = "/usr/bin/python3"
SECRET = "TOPSECRET-" + secrets.token_hex(8)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snapshot(folder):
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p)] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("srv")
    share = base / "share"
    (share / "reports").mkdir(parents=True)
    (share / "reports" / "q1.txt").write_text("Quarterly numbers\n")
    (share / "welcome.txt").write_text("hello\n")
    (share / "team").mkdir()
    (share / "team" / "meeting notes.md").write_text("- standup at 9\n")
    (share / "ünïcode").mkdir()
    (share / "ünïcode" / "naïve file.txt").write_text("unicode ok\n")
    (share / "a..b.txt").write_text("dots in the middle\n")
    (share / "..notes").write_text("leading dots\n")
    (share / ".hidden").write_text("hidden\n")
    (share / "inside-link").symlink_to("reports")
    private = base / "share-private"
    private.mkdir()
    (private / "secret.txt").write_text(SECRET + " sibling\n")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + " outside\n")
    (share / "escape").symlink_to(outside)
    (share / "escape-file").symlink_to(outside / "secret.txt")
    (base / "top-secret.txt").write_text(SECRET + " parent\n")
    port = free_port()
    log = open(base / "server.log", "w")
    proc = subprocess.Popen([PYTHON, "-m", "docshare", "--root", str(share), "--port", str(port)],
                            cwd=WORKSPACE, stdout=log, stderr=subprocess.STDOUT,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(base)})
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            pytest.fail(f"docshare exited: {(base / 'server.log').read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("docshare did not start listening")
            time.sleep(0.2)
    yield {"base": base, "share": share, "port": port}
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def request(site, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", site["port"], timeout=20)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        data = body or b""
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders()
        if data:
            conn.send(data)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def outside_state(site):
    """Everything in the test's folder except the share, plus /tmp entries we may target."""
    state = {k: v for k, v in snapshot(site["base"]).items()
             if not k.startswith(str(site["share"]) + os.sep) and k != str(site["share"])}
    return state


def assert_refused(status, body, what):
    assert status in (400, 403, 404), f"{what}: status {status}"
    assert SECRET.encode() not in body, f"{what}: leaked a secret"
    assert b"root:x:0:0" not in body, f"{what}: leaked /etc/passwd"


READ_ATTACKS = [
    "../share-private/secret.txt",
    "%2e%2e/share-private/secret.txt",
    "%2E%2E%2Fshare-private%2Fsecret.txt",
    "..%2fshare-private%2fsecret.txt",
    "reports/../../share-private/secret.txt",
    "reports/%2e%2e/%2e%2e/top-secret.txt",
    "../top-secret.txt",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%2Fetc%2Fpasswd",
    "/etc/passwd",
    "escape/secret.txt",
    "escape-file",
    "inside-link/../../outside/secret.txt",
    "inside-link/%2e%2e/escape/secret.txt",
]


@pytest.mark.parametrize("attack", READ_ATTACKS)
def test_downloads_stay_inside(site, attack):
    status, body = request(site, "GET", "/files/" + attack)
    assert_refused(status, body, f"GET /files/{attack}")


LIST_ATTACKS = ["..", "%2e%2e", "%2E%2E/", "reports/%2e%2e/%2e%2e", "%2Fetc", "/etc", "escape",
                "escape/", "inside-link/%2e%2e/%2e%2e", "%2e%2e/share-private"]


@pytest.mark.parametrize("attack", LIST_ATTACKS)
def test_listings_stay_inside(site, attack):
    status, body = request(site, "GET", "/list/" + attack)
    assert_refused(status, body, f"GET /list/{attack}")
    for name in (b"share-private", b"top-secret", b"secret.txt", b"passwd", b"hostname"):
        assert name not in body, f"GET /list/{attack} listed {name!r}"


def test_uploads_stay_inside(site):
    before = outside_state(site)
    tmp_target = f"/tmp/docshare-pwned-{secrets.token_hex(4)}"
    attacks = [
        "../share-private/pwned.txt",
        "%2e%2e/share-private/pwned.txt",
        "%2e%2e%2fpwned.txt",
        "reports/%2e%2e/%2e%2e/pwned.txt",
        "escape/pwned.txt",
        "escape-file",
        "inside-link/%2e%2e/%2e%2e/outside/pwned.txt",
        "%2e%2e/share-private/new-dir/pwned.txt",
    ]
    try:
        for attack in attacks:
            status, body = request(site, "PUT", "/files/" + attack, b"pwned " + SECRET.encode())
            assert status in (400, 403, 404), f"PUT /files/{attack}: status {status}"
        # An absolute path names a file inside the share (201) or is refused; never /tmp.
        status, body = request(site, "PUT", "/files/" + quote(tmp_target, safe=""), b"pwned")
        assert status in (201, 400, 403, 404), status
        assert not os.path.exists(tmp_target), f"PUT wrote {tmp_target}"
        assert outside_state(site) == before, "an upload changed files outside the share"
    finally:
        if os.path.exists(tmp_target):
            os.remove(tmp_target)


def tar_bytes(entries, gz=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tf:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tf.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
                tf.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = payload
                tf.addfile(info)
    return buf.getvalue()


def zip_bytes(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, kind, payload in entries:
            if kind == "symlink":
                info = zipfile.ZipInfo(name)
                info.external_attr = (0o120777 << 16)
                zf.writestr(info, payload)
            else:
                zf.writestr(name, payload)
    return buf.getvalue()


def evil_archives(tmp_abs):
    p = b"pwned " + SECRET.encode()
    return [
        ("dotdot.tar", tar_bytes([("ok.txt", "file", b"fine"), ("../../pwned.txt", "file", p)])),
        ("absolute.tar", tar_bytes([("ok.txt", "file", b"fine"), (tmp_abs, "file", p)])),
        ("nested.tar.gz", tar_bytes([("a/b/../../../share-private/pwned.txt", "file", p)], gz=True)),
        ("symlink.tar", tar_bytes([("lnk", "symlink", str(Path(tmp_abs).parent)),
                                   ("lnk/" + Path(tmp_abs).name, "file", p)])),
        ("symlink2.tgz", tar_bytes([("up", "symlink", "../.."), ("up/pwned.txt", "file", p)], gz=True)),
        ("hard.tar", tar_bytes([("passwd", "hardlink", "/etc/passwd")])),
        ("dotdot.zip", zip_bytes([("ok.txt", "file", b"fine"), ("../../pwned.txt", "file", p)])),
        ("absolute.zip", zip_bytes([(tmp_abs, "file", p)])),
        ("deep.zip", zip_bytes([("x/../../../share-private/pwned.txt", "file", p)])),
        ("link.zip", zip_bytes([("lnk", "symlink", "/etc"), ("ok.txt", "file", b"fine")])),
        ("../escape.tar", tar_bytes([("pwned.txt", "file", p)])),
    ]


def test_imports_stay_inside(site):
    before_out = outside_state(site)
    before_share = snapshot(site["share"])
    tmp_abs = f"/tmp/docshare-import-{secrets.token_hex(4)}/pwned.txt"
    os.makedirs(Path(tmp_abs).parent)
    try:
        for name, data in evil_archives(tmp_abs):
            status, body = request(site, "POST", "/import?name=" + quote(name, safe=""), data)
            assert status in (400, 403), f"import of {name}: status {status} {body[:200]!r}"
            assert not os.path.exists(tmp_abs), f"import of {name} wrote {tmp_abs}"
            assert outside_state(site) == before_out, f"import of {name} wrote outside the share"
            assert snapshot(site["share"]) == before_share, f"import of {name} was not refused as a whole"
    finally:
        for p in (Path(tmp_abs), Path(tmp_abs).parent):
            if p.is_dir() and not p.is_symlink():
                for child in p.iterdir():
                    child.unlink()
                p.rmdir()
            elif p.exists() or p.is_symlink():
                p.unlink()


LEGIT_FILES = {
    "welcome.txt": "hello\n",
    "reports/q1.txt": "Quarterly numbers\n",
    "team/meeting%20notes.md": "- standup at 9\n",
    quote("ünïcode/naïve file.txt"): "unicode ok\n",
    "a..b.txt": "dots in the middle\n",
    "..notes": "leading dots\n",
    "%2E%2Enotes": "leading dots\n",
    ".hidden": "hidden\n",
    "inside-link/q1.txt": "Quarterly numbers\n",
}


@pytest.mark.parametrize("path", sorted(LEGIT_FILES))
def test_legitimate_downloads(site, path):
    status, body = request(site, "GET", "/files/" + path)
    assert status == 200, f"GET /files/{path}: {status} {body[:200]!r}"
    assert body.decode() == LEGIT_FILES[path]


def test_missing_file_is_404(site):
    assert request(site, "GET", "/files/reports/nope.txt")[0] == 404


def test_legitimate_listings(site):
    status, body = request(site, "GET", "/list/")
    assert status == 200
    names = json.loads(body)["entries"]
    for name in ("reports/", "team/", "welcome.txt", "..notes", "a..b.txt", "inside-link/"):
        assert name in names, names
    status, body = request(site, "GET", "/list/team")
    assert (status, json.loads(body)["entries"]) == (200, ["meeting notes.md"])
    status, body = request(site, "GET", "/list/inside-link")
    assert (status, json.loads(body)["entries"]) == (200, ["q1.txt"])


def test_legitimate_uploads(site):
    token = secrets.token_hex(4)
    rel = f"uploads {token}/sub/fïle ..{token}.txt"
    status, _ = request(site, "PUT", "/files/" + quote(rel), b"first")
    assert status == 201
    assert (site["share"] / rel).read_bytes() == b"first"
    status, _ = request(site, "PUT", "/files/" + quote(rel), b"second version")
    assert status == 201
    assert request(site, "GET", "/files/" + quote(rel)) == (200, b"second version")
    status, _ = request(site, "PUT", "/files/inside-link/" + quote(f"via link {token}.txt"), b"vl")
    assert status == 201
    assert (site["share"] / "reports" / f"via link {token}.txt").read_bytes() == b"vl"


@pytest.mark.parametrize("kind", ["tar", "tgz", "zip"])
def test_legitimate_imports(site, kind):
    token = secrets.token_hex(4)
    files = {"readme.txt": b"top", "docs/guide.md": b"# guide", "docs/..draft": b"dots",
             f"data/ünï {token}.csv": b"a,b\n1,2\n"}
    if kind == "zip":
        name, data = f"bundle-{token}.zip", zip_bytes([(n, "file", c) for n, c in files.items()])
    else:
        entries = [("docs", "dir", None)] + [(n, "file", c) for n, c in files.items()]
        name = f"bundle-{token}." + ("tar" if kind == "tar" else "tgz")
        data = tar_bytes(entries, gz=kind == "tgz")
    status, body = request(site, "POST", "/import?name=" + quote(name), data)
    assert status == 201, body
    assert json.loads(body) == {"files": len(files)}
    dest = site["share"] / f"bundle-{token}"
    for rel, content in files.items():
        assert (dest / rel).read_bytes() == content
