import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from notesvc.router import MethodNotAllowed, NotFound, Router, parse_pattern  # noqa: E402


def test_parse_pattern():
    segs = parse_pattern("/notes/{note_id:int}")
    assert [(s.text, s.kind) for s in segs] == [("notes", "literal"), ("note_id", "int")]
    with pytest.raises(ValueError):
        parse_pattern("/notes/{id:float}")


def test_int_parameter():
    r = Router()
    r.add("GET", "/notes/{note_id:int}", "get")
    assert r.match("GET", "/notes/42") == ("get", {"note_id": 42})
    with pytest.raises(NotFound):
        r.match("GET", "/notes/abc")


def test_unknown_path():
    r = Router()
    r.add("GET", "/notes", "list")
    with pytest.raises(NotFound):
        r.match("GET", "/nope")


def test_wrong_method():
    r = Router()
    r.add("POST", "/notes", "create")
    with pytest.raises(MethodNotAllowed) as e:
        r.match("PUT", "/notes")
    assert e.value.allowed == ["POST"]
