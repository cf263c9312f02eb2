"""catalog: a tiny read-only HTTP service for the shop's product catalog."""

__version__ = "0.9.1"
