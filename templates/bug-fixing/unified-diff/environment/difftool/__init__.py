"""difftool: line diffs in unified format, and applying them (see docs/FORMAT.md)."""

__version__ = "2.1.0"
