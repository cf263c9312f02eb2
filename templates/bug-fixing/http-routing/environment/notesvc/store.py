"""The notes store: notes in memory, saved to a JSON file after every change."""

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass
class Note:
    id: int
    title: str
    body: str = ""
    tags: list = field(default_factory=list)
    created: str = ""


class ValidationError(ValueError):
    """A note sent by a client is not acceptable (see docs/API.md)."""


def clean_tags(tags):
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationError("tags must be a list of strings")
    out = []
    for tag in tags:
        tag = tag.strip()
        if not tag:
            raise ValidationError("tags must not be empty")
        if tag not in out:
            out.append(tag)
    return out


class Store:
    def __init__(self, path):
        self.path = path
        self.notes = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for raw in json.load(f)["notes"]:
                    note = Note(**raw)
                    self.notes[note.id] = note

    def save(self):
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".notes-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"notes": [asdict(n) for n in self.all()]}, f, indent=1)
        os.replace(tmp, self.path)

    def all(self):
        return [self.notes[k] for k in sorted(self.notes)]

    def get(self, note_id):
        return self.notes.get(note_id)

    def create(self, title, body="", tags=()):
        if not isinstance(title, str) or not title.strip():
            raise ValidationError("title is required")
        if not isinstance(body, str):
            raise ValidationError("body must be a string")
        note = Note(
            id=max(self.notes, default=0) + 1,
            title=title.strip(),
            body=body,
            tags=clean_tags(list(tags)),
            created=date.today().isoformat(),
        )
        self.notes[note.id] = note
        self.save()
        return note

    def delete(self, note_id):
        if self.notes.pop(note_id, None) is None:
            return False
        self.save()
        return True

    def with_tags(self, tags):
        """Notes (by id) that carry every one of `tags`."""
        return [n for n in self.all() if all(t in n.tags for t in tags)]

    def tag_counts(self):
        counts = {}
        for note in self.notes.values():
            for tag in note.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return counts
