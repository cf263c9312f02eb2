# Sealed tests of bug-fixing/http-routing. canary: SYNTH-CANARY-55aa1a3f5ce8d819
"""The service as a client sees it, started on fresh generated data: listing and paging,
tags (with awkward names), HEAD, 405/404/400, creating and deleting; and the package tests."""

import http.client
import json
import random
import socket
import subprocess
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest

WORKSPACE = "/workspace"
PYTHON = "/usr/bin/python3"
TAGS = ["python", "ops", "c/c++", "ci/cd", "meeting notes", "q3+q4", "50%", "caf\u00e9",
        "popular", "release", "a&b", "x?y", "#7"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_notes(rng, n):
    notes = []
    for i in range(1, n + 1):
        notes.append({"id": i, "title": f"Note {i} {rng.randint(0, 999)}", "body": "b" * rng.randint(0, 9),
                      "tags": rng.sample(TAGS, rng.randint(0, 4)), "created": "2024-02-0%d" % rng.randint(1, 9)})
    return notes


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    rng = random.Random()
    notes = make_notes(rng, rng.choice([30, 40, 60, 45, 57]))
    folder = tmp_path_factory.mktemp("notes")
    data = folder / "notes.json"
    data.write_text(json.dumps({"notes": notes}))
    port = free_port()
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen([PYTHON, "-m", "notesvc", "--port", str(port), "--data", str(data)],
                            cwd=WORKSPACE, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            pytest.fail("service exited: " + (folder / "server.log").read_text()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("service did not listen")
            time.sleep(0.1)
    try:
        yield {"port": port, "notes": {n["id"]: n for n in notes}, "data": data}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def call(svc, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", svc["port"], timeout=10)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, raw
    finally:
        conn.close()


def get_json(svc, path):
    status, headers, raw = call(svc, "GET", path)
    return status, json.loads(raw) if raw else None


def follow(svc, first):
    """Follows next links; returns (items, pages, totals)."""
    items, pages, path = [], [], first
    while path is not None:
        status, body = get_json(svc, path)
        assert status == 200, (path, body)
        pages.append(len(body["items"]))
        items += body["items"]
        path = body["next"]
        if path is not None:
            q = parse_qs(urlsplit(path).query)
            assert urlsplit(path).path == "/notes"
        assert len(pages) < 200
    return items, pages, body["total"]


def test_paging_visits_every_note_once_and_no_empty_page(service):
    notes = service["notes"]
    total = len(notes)
    rng = random.Random()
    limits = [None, total // 3, total // 2, total, 1, rng.randint(2, 9)]
    limits += [d for d in range(2, 16) if total % d == 0][:2]
    for limit in limits:
        first = "/notes" if limit is None else f"/notes?limit={limit}"
        items, pages, got_total = follow(service, first)
        assert got_total == total
        assert [n["id"] for n in items] == sorted(notes), (limit, pages)
        assert all(pages), (limit, pages)
        per = 20 if limit is None else limit
        assert len(pages) == -(-total // per), (limit, pages)


def test_paging_with_tags_and_offset(service):
    notes = service["notes"]
    for tags in (["python"], ["ops", "c/c++"], ["caf\u00e9"], ["nothing-like-this"]):
        want = [i for i in sorted(notes) if all(t in notes[i]["tags"] for t in tags)]
        qs = "&".join("tag=" + quote(t, safe="") for t in tags)
        for limit in (1, 2, 3, 5):
            items, pages, total = follow(service, f"/notes?{qs}&limit={limit}")
            assert [n["id"] for n in items] == want and total == len(want)
            assert all(pages) or (not want and pages == [0])
        status, body = get_json(service, f"/notes?{qs}&limit=2&offset=1")
        assert [n["id"] for n in body["items"]] == want[1:3]
    status, body = get_json(service, "/notes?limit=0")
    assert status == 200 and body == {"items": [], "total": len(notes), "next": None}
    status, body = get_json(service, f"/notes?offset={len(notes) + 5}")
    assert status == 200 and body["items"] == [] and body["next"] is None


def test_note_bodies(service):
    notes = service["notes"]
    for note_id in random.sample(sorted(notes), 5):
        status, body = get_json(service, f"/notes/{note_id}")
        assert status == 200 and body == notes[note_id]
    assert get_json(service, "/notes/99999")[0] == 404
    assert get_json(service, "/notes/abc") == (404, {"error": "not found"})


def test_every_tag_reachable_by_its_href(service):
    notes = service["notes"]
    counts = {}
    for n in notes.values():
        for t in n["tags"]:
            counts[t] = counts.get(t, 0) + 1
    status, body = get_json(service, "/tags")
    assert body == {"tags": [{"name": t, "count": counts[t]} for t in sorted(counts)]}
    for tag in counts:
        if tag == "popular":  # the literal route wins (docs/API.md)
            continue
        status, body = get_json(service, "/tags/" + quote(tag, safe=""))
        assert status == 200, (tag, body)
        assert body["name"] == tag
        assert body["notes"] == [i for i in sorted(notes) if tag in notes[i]["tags"]]
        again = get_json(service, body["href"])
        assert again == (status, body)
    assert get_json(service, "/tags/no%2Fsuch") == (404, {"error": "no such tag"})


def test_popular_is_never_a_tag_name(service):
    notes = service["notes"]
    counts = {}
    for n in notes.values():
        for t in n["tags"]:
            counts[t] = counts.get(t, 0) + 1
    top = sorted(counts, key=lambda t: (-counts[t], t))
    for n, path in ((5, "/tags/popular"), (3, "/tags/popular?n=3"), (50, "/tags/popular?n=50")):
        status, body = get_json(service, path)
        assert status == 200, body
        assert body == {"tags": [{"name": t, "count": counts[t]} for t in top[:n]]}
    assert get_json(service, "/tags/popular?n=0")[0] == 400


def test_head_matches_get(service):
    for path in ("/notes", "/notes?limit=3", "/tags", "/tags/popular", "/notes/1", "/notes/99999"):
        gs, gh, graw = call(service, "GET", path)
        hs, hh, hraw = call(service, "HEAD", path)
        assert hs == gs, path
        assert hraw == b""
        assert hh.get("content-type") == gh.get("content-type")


def test_method_not_allowed_and_not_found(service):
    cases = [
        ("PUT", "/notes", "GET, HEAD, POST"),
        ("DELETE", "/notes", "GET, HEAD, POST"),
        ("POST", "/notes/3", "DELETE, GET, HEAD"),
        ("PATCH", "/tags", "GET, HEAD"),
        ("DELETE", "/tags/popular", "GET, HEAD"),
        ("POST", "/tags/ops", "GET, HEAD"),
    ]
    for method, path, allow in cases:
        status, headers, raw = call(service, method, path)
        assert (status, headers.get("allow")) == (405, allow), (method, path)
        assert json.loads(raw) == {"error": "method not allowed"}
    for path in ("/", "/note", "/notes/1/extra", "/tags/a/b", "/notes/%FF"):
        assert get_json(service, path) == (404, {"error": "not found"}), path
    for path in ("/notes?limit=abc", "/notes?limit=101", "/notes?offset=-1"):
        assert get_json(service, path)[0] == 400, path


def test_create_and_delete(service):
    status, headers, raw = call(service, "POST", "/notes", {"title": " New ", "tags": ["zz/top", "zz/top"]})
    assert status == 201
    note = json.loads(raw)
    assert note["title"] == "New" and note["tags"] == ["zz/top"]
    assert note["id"] == max(service["notes"]) + 1
    assert headers["location"] == f"/notes/{note['id']}"
    assert get_json(service, "/tags/zz%2Ftop")[1]["notes"] == [note["id"]]
    saved = json.loads(service["data"].read_text())["notes"]
    assert saved[-1]["id"] == note["id"]
    assert call(service, "POST", "/notes", {"title": ""})[0] == 400
    assert call(service, "DELETE", f"/notes/{note['id']}")[:1] == (204,)
    assert call(service, "DELETE", f"/notes/{note['id']}")[0] == 404
    assert get_json(service, "/tags/zz%2Ftop")[0] == 404


def test_packaged_tests_still_pass():
    out = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                         cwd=WORKSPACE, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
