import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from notesvc.store import Store, ValidationError  # noqa: E402


def test_create_and_reload(tmp_path):
    path = tmp_path / "notes.json"
    store = Store(str(path))
    a = store.create("First", "body", ["x", " y ", "x"])
    b = store.create("Second")
    assert (a.id, b.id) == (1, 2)
    assert a.tags == ["x", "y"]
    again = Store(str(path))
    assert [n.title for n in again.all()] == ["First", "Second"]


def test_validation(tmp_path):
    store = Store(str(tmp_path / "notes.json"))
    with pytest.raises(ValidationError):
        store.create("  ")
    with pytest.raises(ValidationError):
        store.create("ok", tags=["", "a"])


def test_with_tags(tmp_path):
    store = Store(str(tmp_path / "notes.json"))
    store.create("a", tags=["x", "y"])
    store.create("b", tags=["x"])
    assert [n.title for n in store.with_tags(["x", "y"])] == ["a"]
    assert store.tag_counts() == {"x": 2, "y": 1}
