"""notesvc: a small JSON notes service (see docs/API.md)."""

__version__ = "0.9.3"
