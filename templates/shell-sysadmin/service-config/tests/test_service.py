# Sealed tests of shell-sysadmin/service-config. canary: SYNTH-CANARY-6f9739dccc0a166c
"""The catalog service must start from the repaired config/service.ini and serve as
docs/OPERATIONS.md describes; its code and data must be unchanged."""

import configparser
import hashlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
CONFIG = WORKSPACE / "config" / "service.ini"
LOG = WORKSPACE / "logs" / "catalog.log"
PYTHON = "/usr/bin/python3"
BASE = "http://127.0.0.1:8089"

ORIGINAL = {
    "catalog/__init__.py": "53a8a7167549d92bb838ec9af3d0a41ccb00b16b564599b15378b00a6fe73dfd",
    "catalog/__main__.py": "03ff5545e014411b37d391fa47055b7cf37c9354660d1de948eef81f2210bbcd",
    "catalog/config.py": "44287a7ea104ecd8da710ca498b7ae63fdef7e64812d67c5eb126be210a80bc6",
    "catalog/server.py": "f7ee990fd8ceb451e5d0190f8152aefba41a1f16d5e2671f0b1a5454ba089fb7",
    "catalog/store.py": "f84e82eb566c003fe4c17fb502f885fd6bf58d4efedccfe58b45eeb4b73066fd",
    "data/catalog.json": "9b8f2e2d932c4e9e39747e70f06af9dd536cbe7ac628bb6cab1c31c659d9df41",
}


def catalog(*args):
    return subprocess.run(
        [PYTHON, "-m", "catalog", "--config", str(CONFIG), *args],
        cwd=WORKSPACE,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    out = tmp_path_factory.mktemp("service") / "output.txt"
    with open(out, "w") as sink:
        proc = subprocess.Popen(
            [PYTHON, "-m", "catalog", "--config", str(CONFIG)],
            cwd=WORKSPACE,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"service exited with {proc.returncode}: {out.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", 8089), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nothing listens on 127.0.0.1:8089: {out.read_text()[-2000:]}")
                time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(path):
    try:
        with urllib.request.urlopen(BASE + path, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def test_code_and_data_unchanged():
    for rel, digest in ORIGINAL.items():
        data = (WORKSPACE / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{rel} was changed"


def test_config_check_passes_without_warnings():
    res = catalog("--check")
    assert res.returncode == 0, res.stderr
    assert "warning" not in res.stderr.lower(), res.stderr
    assert "127.0.0.1:8089" in res.stdout


def test_config_file_is_still_the_ini_file():
    parser = configparser.ConfigParser()
    with open(CONFIG) as f:
        parser.read_file(f)
    assert parser.getint("server", "port") == 8089
    assert parser.get("storage", "data_dir").rstrip("/") == "/workspace/data"
    assert parser.getint("storage", "cache_seconds") == 30


def test_health(service):
    status, headers, body = get("/health")
    assert status == 200
    assert body == {
        "status": "ok",
        "banner": "Catalog service - 100% local stock",
        "items": 45,
        "page_size": 20,
        "cache_seconds": 30,
    }
    assert headers.get("Access-Control-Allow-Origin") == "*"


def test_items_are_paged_by_twenty(service):
    status, _, body = get("/items")
    assert status == 200
    assert (body["page"], body["pages"], len(body["items"])) == (1, 3, 20)
    skus = [item["sku"] for item in body["items"]]
    assert skus == sorted(skus) and skus[0] == "CT-1000"
    status, _, body = get("/items?page=3")
    assert (status, body["page"], len(body["items"])) == (200, 3, 5)
    assert body["items"][-1]["sku"] == "CT-1308"
    status, _, _ = get("/items?page=4")
    assert status == 404


def test_single_item(service):
    status, _, body = get("/items/CT-1308")
    assert status == 200
    assert body == {"sku": "CT-1308", "name": "Tamper (large)", "price": 22.16, "stock": 4}
    assert get("/items/NOPE")[0] == 404


def test_requests_are_logged_at_info(service):
    probe = uuid.uuid4().hex
    assert get(f"/items?page=2&probe={probe}")[0] == 200
    deadline = time.monotonic() + 5
    while True:
        text = LOG.read_text() if LOG.exists() else ""
        if probe in text or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    line = next((x for x in text.splitlines() if probe in x), None)
    assert line is not None, f"request not logged in {LOG}"
    assert " INFO " in line
    assert " DEBUG " not in text
    assert "unknown option" not in text
