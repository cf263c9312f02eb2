"""docshare: a small HTTP file share for one folder (see README.md)."""

__version__ = "1.6.0"
