# Sealed tests of security-fixes/auth-checks. canary: SYNTH-CANARY-1ec51a6279173efa
"""Starts notes-api on fresh data and attacks it as `mallory`: forged, unsigned, re-signed,
truncated and expired tokens, a role in the login body, debug headers, reading, editing,
deleting and sharing other users' documents, the admin listing. Nothing may leak or change.
Then checks every documented legitimate use, with tokens from login and tokens the tests sign
themselves as README.md specifies."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
NODE = "/usr/bin/node"
SECRET = "test-secret-" + secrets.token_hex(12)
PASSWORDS = {"alice": "wonderland-" + secrets.token_hex(3), "bob": "builder", "mallory": "m4ll0ry!",
             "root": "correct horse battery staple"}
ROLES = {"alice": "user", "bob": "user", "mallory": "user", "root": "admin"}
PRIVATE = "PRIVATE-" + secrets.token_hex(6)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(claims, key=SECRET):
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{sig}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def data_file(path):
    users = {}
    for name, pw in PASSWORDS.items():
        salt = os.urandom(16).hex()
        users[name] = {"salt": salt, "role": ROLES[name],
                       "hash": hashlib.pbkdf2_hmac("sha256", pw.encode(), bytes.fromhex(salt), 10000, 32).hex()}
    docs = {
        "d1": {"owner": "alice", "title": f"Salary review {PRIVATE}", "body": f"body {PRIVATE}", "shared_with": []},
        "d2": {"owner": "alice", "title": "Offsite plan", "body": "shared with bob and mallory", "shared_with": ["bob", "mallory"]},
        "d3": {"owner": "bob", "title": f"Bob's diary {PRIVATE}", "body": PRIVATE, "shared_with": ["alice"]},
        "d4": {"owner": "mallory", "title": "Mallory's list", "body": "groceries", "shared_with": []},
        "d5": {"owner": "root", "title": f"Root keys {PRIVATE}", "body": PRIVATE, "shared_with": []},
    }
    path.write_text(json.dumps({"users": users, "docs": docs, "next_id": 6}, indent=2))


class Api:
    def __init__(self, port, data):
        self.port = port
        self.data = data

    def call(self, method, path, body=None, token=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            h = dict(headers or {})
            if token is not None:
                h["Authorization"] = f"Bearer {token}"
            data = None if body is None else json.dumps(body).encode()
            if data is not None:
                h["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            return r.status, raw.decode("utf-8", "replace")
        finally:
            conn.close()

    def login(self, user, password=None):
        status, text = self.call("POST", "/login", {"user": user, "password": password or PASSWORDS[user]})
        assert status == 200, (user, status, text)
        return json.loads(text)["token"]

    def docs_on_disk(self):
        return json.loads(self.data.read_text())["docs"]


@pytest.fixture
def api(tmp_path):
    data = tmp_path / "notes.json"
    data_file(data)
    port = free_port()
    log = open(tmp_path / "server.log", "w")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NOTES_SECRET": SECRET}
    proc = subprocess.Popen([NODE, str(WORKSPACE / "bin" / "notes-server.js"), "--port", str(port),
                             "--data", str(data)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            pytest.fail("notes-server exited: " + (tmp_path / "server.log").read_text()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("notes-server did not start")
            time.sleep(0.2)
    yield Api(port, data)
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def assert_denied(res, allowed=(401, 403, 404)):
    status, text = res
    assert status in allowed, f"status {status}: {text[:300]}"
    assert PRIVATE not in text, f"leaked a private document: {text[:300]}"
    assert "correct horse" not in text and '"admin"' not in text, f"leaked admin data: {text[:300]}"


def forged_tokens(api):
    now = int(time.time())
    good = api.login("mallory")
    payload, sig = good.split(".")
    admin_payload = b64(json.dumps({"sub": "mallory", "role": "admin", "exp": now + 3600}).encode())
    alice_payload = b64(json.dumps({"sub": "alice", "role": "user", "exp": now + 3600}).encode())
    out = [
        f"{admin_payload}.", admin_payload, f"{admin_payload}.{sig}", f"{alice_payload}.{sig}",
        f"{admin_payload}.none", f"{alice_payload}.",
        make_token({"sub": "mallory", "role": "admin", "exp": now + 3600}, key="notes-dev-secret-0000"),
        make_token({"sub": "alice", "role": "user", "exp": now + 3600}, key="secret"),
        make_token({"sub": "alice", "role": "user", "exp": now + 3600}, key=""),
        make_token({"sub": "alice", "role": "user", "exp": now - 5}),
        make_token({"sub": "root", "role": "admin", "exp": now - 3600}),
        make_token({"sub": "alice", "role": "user"}),
        make_token({"sub": "alice", "role": "user", "exp": str(now + 3600)}),
        f"{make_token({'sub': 'alice', 'role': 'user', 'exp': now + 3600})[:-4]}",
        f"{make_token({'sub': 'mallory', 'role': 'admin', 'exp': now + 3600}).split('.')[0]}.{sig[:3]}",
        "", ".", "..", "garbage",
    ]
    return out


def test_forged_tokens_are_refused(api):
    before = api.docs_on_disk()
    for token in forged_tokens(api):
        for method, path, body in [("GET", "/me", None), ("GET", "/docs", None), ("GET", "/docs/d1", None),
                                   ("GET", "/admin/users", None), ("DELETE", "/docs/d1", None),
                                   ("PUT", "/docs/d1", {"title": "pwned"})]:
            res = api.call(method, path, body, token=token)
            assert res[0] == 401, f"{method} {path} with token {token!r}: {res}"
    assert api.call("GET", "/docs")[0] == 401
    assert api.docs_on_disk() == before


def test_login_cannot_choose_a_role(api):
    for body in ({"user": "mallory", "password": PASSWORDS["mallory"], "role": "admin"},
                 {"user": "mallory", "password": PASSWORDS["mallory"], "role": "admin", "sub": "root"},
                 {"user": "mallory", "password": PASSWORDS["mallory"], "claims": {"role": "admin"}}):
        status, text = api.call("POST", "/login", body)
        if status == 200:
            token = json.loads(text)["token"]
            assert json.loads(api.call("GET", "/me", token=token)[1]) == {"user": "mallory", "role": "user"}
            assert_denied(api.call("GET", "/admin/users", token=token), (403,))
        else:
            assert status in (400, 401)
    for user, pw in (("mallory", "wrong"), ("root", ""), ("root", None), ("__proto__", "x"),
                     ("constructor", "x"), ("nobody", "x")):
        status, text = api.call("POST", "/login", {"user": user, "password": pw})
        assert status == 401, (user, status, text)


def test_users_cannot_reach_others_documents(api):
    token = api.login("mallory")
    before = api.docs_on_disk()
    for doc in ("d1", "d3", "d5"):
        assert_denied(api.call("GET", f"/docs/{doc}", token=token), (404,))
        assert_denied(api.call("PUT", f"/docs/{doc}", {"title": "pwned", "owner": "mallory"}, token=token), (403, 404))
        assert_denied(api.call("DELETE", f"/docs/{doc}", token=token), (403, 404))
        assert_denied(api.call("POST", f"/docs/{doc}/share", {"user": "mallory"}, token=token), (403, 404))
        assert_denied(api.call("GET", f"/docs/{doc}", token=token), (404,))
    for headers in ({}, {"X-Debug-Admin": "1"}, {"X-Role": "admin"}, {"X-Forwarded-User": "root"}):
        status, text = api.call("GET", "/docs", token=token, headers=headers)
        assert status == 200
        assert PRIVATE not in text
        assert sorted(d["id"] for d in json.loads(text)["docs"]) == ["d2", "d4"], text
        assert_denied(api.call("GET", "/docs/d1", token=token, headers=headers), (404,))
        assert_denied(api.call("GET", "/admin/users", token=token, headers=headers), (403,))
    assert api.docs_on_disk() == before


def test_sharees_only_read(api):
    token = api.login("mallory")
    before = api.docs_on_disk()
    status, text = api.call("GET", "/docs/d2", token=token)
    assert status == 200 and json.loads(text)["owner"] == "alice"
    assert api.call("PUT", "/docs/d2", {"body": "defaced"}, token=token)[0] == 403
    assert api.call("DELETE", "/docs/d2", token=token)[0] == 403
    assert api.call("POST", "/docs/d2/share", {"user": "carol"}, token=token)[0] in (400, 403)
    assert api.call("POST", "/docs/d2/share", {"user": "root"}, token=token)[0] == 403
    assert api.docs_on_disk() == before


def test_admin_listing_is_for_admins(api):
    for user in ("mallory", "alice"):
        assert_denied(api.call("GET", "/admin/users", token=api.login(user)), (403,))
    status, text = api.call("GET", "/admin/users", token=api.login("root"))
    assert status == 200
    assert json.loads(text) == {"users": [{"user": u, "role": ROLES[u]} for u in sorted(ROLES)]}


def test_legitimate_use(api):
    alice, bob, root = api.login("alice"), api.login("bob"), api.login("root")
    assert json.loads(api.call("GET", "/me", token=alice)[1]) == {"user": "alice", "role": "user"}
    assert json.loads(api.call("GET", "/me", token=root)[1]) == {"user": "root", "role": "admin"}
    listing = lambda t: sorted(d["id"] for d in json.loads(api.call("GET", "/docs", token=t)[1])["docs"])
    assert listing(alice) == ["d1", "d2", "d3"]
    assert listing(bob) == ["d2", "d3"]
    assert listing(root) == ["d1", "d2", "d3", "d4", "d5"]
    status, text = api.call("GET", "/docs/d3", token=alice)
    assert status == 200 and json.loads(text)["body"] == PRIVATE
    status, text = api.call("POST", "/docs", {"title": "New plan", "body": "draft"}, token=bob)
    assert status == 201
    new = json.loads(text)["id"]
    assert api.call("GET", f"/docs/{new}", token=alice)[0] == 404
    status, text = api.call("POST", f"/docs/{new}/share", {"user": "alice"}, token=bob)
    assert status == 200 and json.loads(text)["shared_with"] == ["alice"]
    assert json.loads(api.call("GET", f"/docs/{new}", token=alice)[1])["title"] == "New plan"
    status, text = api.call("PUT", f"/docs/{new}", {"title": "Final plan", "owner": "alice",
                                                    "shared_with": []}, token=bob)
    assert status == 200
    doc = api.docs_on_disk()[new]
    assert (doc["title"], doc["owner"], doc["shared_with"]) == ("Final plan", "bob", ["alice"])
    assert api.call("DELETE", "/docs/d1", token=alice)[0] == 204
    assert api.call("DELETE", "/docs/d4", token=root)[0] == 204
    assert set(api.docs_on_disk()) == {"d2", "d3", "d5", new}
    assert api.call("GET", "/docs/d1", token=alice)[0] == 404


def test_tokens_signed_as_documented_are_accepted(api):
    now = int(time.time())
    token = make_token({"sub": "alice", "role": "user", "exp": now + 120})
    status, text = api.call("GET", "/me", token=token)
    assert (status, json.loads(text)) == (200, {"user": "alice", "role": "user"})
    token = make_token({"sub": "root", "role": "admin", "exp": now + 120})
    assert api.call("GET", "/admin/users", token=token)[0] == 200
    issued = api.login("bob")
    payload = json.loads(base64.urlsafe_b64decode(issued.split(".")[0] + "=="))
    assert payload["sub"] == "bob" and payload["role"] == "user"
    assert now + 3000 <= payload["exp"] <= now + 3700
    part, sig = issued.split(".")
    assert sig == b64(hmac.new(SECRET.encode(), part.encode(), hashlib.sha256).digest())
