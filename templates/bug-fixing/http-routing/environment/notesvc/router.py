"""URL routing: patterns such as /notes/{id:int} matched against request paths.

A pattern is a sequence of segments separated by "/". A segment is either literal text or a
parameter `{name}` (any one non-empty segment) or `{name:int}` (a segment of ASCII digits,
passed to the handler as an int). See docs/API.md, "Routing rules".
"""

from dataclasses import dataclass
from urllib.parse import unquote


class NotFound(Exception):
    """No route matches the path."""


class MethodNotAllowed(Exception):
    """A route matches the path, but not for this method."""

    def __init__(self, allowed):
        super().__init__(", ".join(allowed))
        self.allowed = allowed


@dataclass(frozen=True)
class Segment:
    text: str  # the literal text, or the parameter name
    kind: str  # "literal", "int" or "str"

    def rank(self):
        """Lower ranks win when two routes match the same path."""
        return {"literal": 0, "int": 1, "str": 2}[self.kind]

    def convert(self, raw):
        if self.kind == "literal":
            return None if raw != self.text else raw
        if raw == "":
            return None
        if self.kind == "int":
            if not (raw.isascii() and raw.isdigit()):
                return None
            return int(raw)
        return raw


def parse_pattern(pattern):
    if not pattern.startswith("/"):
        raise ValueError(f"route pattern must start with /: {pattern!r}")
    segments = []
    for part in pattern[1:].split("/"):
        if part.startswith("{") and part.endswith("}"):
            name, _, kind = part[1:-1].partition(":")
            kind = kind or "str"
            if kind not in ("int", "str") or not name.isidentifier():
                raise ValueError(f"bad parameter {part!r} in {pattern!r}")
            segments.append(Segment(name, kind))
        else:
            segments.append(Segment(part, "literal"))
    return tuple(segments)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    segments: tuple
    handler: object

    def specificity(self):
        return tuple(s.rank() for s in self.segments)

    def match(self, parts):
        """Returns the parameters when `parts` (decoded path segments) fit, else None."""
        if len(parts) != len(self.segments):
            return None
        params = {}
        for seg, raw in zip(self.segments, parts):
            value = seg.convert(raw)
            if value is None:
                return None
            if seg.kind != "literal":
                params[seg.text] = value
        return params


def split_path(path):
    """'/tags/a%2Fb' -> ['tags', 'a/b']: split on '/', then decode each segment."""
    if not path.startswith("/"):
        raise NotFound(path)
    return [unquote(part, errors="strict") for part in path[1:].split("/")]


class Router:
    def __init__(self):
        self._routes = []

    def add(self, method, pattern, handler):
        route = Route(method.upper(), pattern, parse_pattern(pattern), handler)
        self._routes.append(route)
        self._routes.sort(key=Route.specificity)
        return route

    def route(self, method, pattern):
        """Decorator form of add()."""

        def register(handler):
            self.add(method, pattern, handler)
            return handler

        return register

    def match(self, method, path):
        """Returns (handler, params) for the most specific route, or raises NotFound or
        MethodNotAllowed (with the methods the path does allow, HEAD included where GET is)."""
        try:
            parts = split_path(path)
        except UnicodeDecodeError:
            raise NotFound(path) from None
        method = method.upper()
        allowed = set()
        for route in self._routes:
            params = route.match(parts)
            if params is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route.handler, params
            allowed.add(route.method)
            if route.method == "GET":
                allowed.add("HEAD")
        if allowed:
            raise MethodNotAllowed(sorted(allowed))
        raise NotFound(path)
