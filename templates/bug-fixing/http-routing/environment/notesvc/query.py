"""Query string parameters."""

from urllib.parse import parse_qs


class BadRequest(ValueError):
    """A request parameter is malformed."""


def parse_query(text):
    """'tag=a&tag=b&limit=5' -> {'tag': ['a', 'b'], 'limit': ['5']} (blank values kept)."""
    try:
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest("query string is not valid UTF-8") from None


def int_param(query, name, default, lo, hi):
    """The last value of `name` as an int in [lo, hi], or `default` when absent."""
    values = query.get(name)
    if not values:
        return default
    raw = values[-1]
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(f"{name} must be a whole number, got {raw!r}")
    value = int(raw)
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}, got {value}")
    return value
