# Sealed tests of bug-fixing/http-routing. canary: SYNTH-CANARY-55aa1a3f5ce8d819
"""notesvc.router against an independent implementation of docs/API.md "Routing rules", on
random route tables registered in random orders and random request paths."""

import random
from urllib.parse import quote, unquote

import pytest

from notesvc.router import MethodNotAllowed, NotFound, Router

METHODS = ["GET", "POST", "DELETE", "PUT"]
LITERALS = ["notes", "tags", "popular", "a", "b", "x y", "c+d", "caf\u00e9", "v2"]
VALUES = ["7", "42", "007", "abc", "c/c++", "q3+q4", "50%", "a b", "\u00e9t\u00e9", "x", "ci/cd", "12a"]


def ref_match(routes, method, path):
    """routes: [(method, [(kind, text)], handler)]. Returns ("ok", handler, params),
    ("405", allowed) or ("404",)."""
    if not path.startswith("/"):
        return ("404",)
    try:
        parts = [unquote(p, errors="strict") for p in path[1:].split("/")]
    except UnicodeDecodeError:
        return ("404",)
    fitting = []
    for m, segs, handler in routes:
        if len(segs) != len(parts):
            continue
        params, ok = {}, True
        for (kind, text), raw in zip(segs, parts):
            if kind == "lit":
                ok = raw == text
            elif kind == "int":
                ok = raw != "" and raw.isascii() and raw.isdigit()
                if ok:
                    params[text] = int(raw)
            else:
                ok = raw != ""
                if ok:
                    params[text] = raw
            if not ok:
                break
        if ok:
            rank = tuple({"lit": 0, "int": 1, "str": 2}[k] for k, _ in segs)
            fitting.append((rank, m, handler, params))
    accepted = [f for f in fitting if f[1] == method or (method == "HEAD" and f[1] == "GET")]
    if accepted:
        best = min(accepted, key=lambda f: f[0])
        return ("ok", best[2], best[3])
    if fitting:
        allowed = {f[1] for f in fitting}
        if "GET" in allowed:
            allowed.add("HEAD")
        return ("405", sorted(allowed))
    return ("404",)


def got_match(router, method, path):
    try:
        handler, params = router.match(method, path)
    except NotFound:
        return ("404",)
    except MethodNotAllowed as e:
        return ("405", list(e.allowed))
    return ("ok", handler, params)


def pattern_text(segs):
    out = []
    for kind, text in segs:
        out.append(text if kind == "lit" else "{%s}" % text if kind == "str" else "{%s:int}" % text)
    return "/" + "/".join(out)


def random_table(rng):
    routes, shapes = [], set()
    while len(routes) < rng.randint(6, 14):
        segs = []
        for i in range(rng.randint(1, 3)):
            r = rng.random()
            if r < 0.5:
                segs.append(("lit", rng.choice(LITERALS)))
            elif r < 0.75:
                segs.append(("int", f"p{i}"))
            else:
                segs.append(("str", f"p{i}"))
        method = rng.choice(METHODS)
        shape = (method, tuple(k if k != "lit" else "lit:" + t for k, t in segs))
        if shape in shapes:
            continue
        shapes.add(shape)
        routes.append((method, segs, f"h{len(routes)}"))
    return routes


def encode(rng, raw):
    if rng.random() < 0.5:
        return quote(raw, safe="")
    # only what must be encoded: '/' and '%' inside a segment, plus random extra escapes
    out = []
    for ch in raw:
        if ch in "/%" or (ch.isalnum() and rng.random() < 0.1):
            out.append(quote(ch, safe=""))
        elif ch == " " or not ch.isascii():
            out.append(quote(ch, safe=""))
        else:
            out.append(ch)
    return "".join(out)


def random_path(rng, routes):
    if rng.random() < 0.15:
        return rng.choice(["/", "/nope", "/notes/", "//", "/tags/%FF", "/a/%C3", "notes"])
    _, segs, _ = rng.choice(routes)
    parts = []
    for kind, text in segs:
        if kind == "lit" and rng.random() < 0.85:
            raw = text
        else:
            raw = rng.choice(VALUES + LITERALS)
        parts.append(encode(rng, raw))
    if rng.random() < 0.1:
        parts.append(rng.choice(["", "extra"]))
    return "/" + "/".join(parts)


@pytest.mark.parametrize("seed", [None] * 6)
def test_random_tables(seed):
    rng = random.Random(seed)
    for _ in range(40):
        routes = random_table(rng)
        order = routes[:]
        rng.shuffle(order)
        router = Router()
        for m, segs, handler in order:
            router.add(m, pattern_text(segs), handler)
        for _ in range(60):
            path = random_path(rng, routes)
            method = rng.choice(METHODS + ["HEAD", "HEAD"])
            want = ref_match(routes, method, path)
            assert got_match(router, method, path) == want, (
                [(m, pattern_text(s)) for m, s, _ in order],
                method,
                path,
            )


@pytest.mark.parametrize("first", ["param", "literal"])
def test_literal_beats_parameter_in_any_order(first):
    routes = [("GET", "/tags/{name}", "one"), ("GET", "/tags/popular", "popular")]
    routes += [("GET", "/{kind}/{key:int}", "typed"), ("GET", "/{kind}/{key}", "plain")]
    router = Router()
    for r in routes if first == "param" else routes[::-1]:
        router.add(*r)
    assert router.match("GET", "/tags/popular") == ("popular", {})
    assert router.match("GET", "/tags/python") == ("one", {"name": "python"})
    assert router.match("GET", "/things/12") == ("typed", {"kind": "things", "key": 12})
    assert router.match("GET", "/things/x12") == ("plain", {"kind": "things", "key": "x12"})


def test_decoding_per_segment():
    router = Router()
    router.add("GET", "/tags/{name}", "tag")
    router.add("GET", "/tags/{name}/notes", "tag-notes")
    assert router.match("GET", "/tags/c%2Fc%2B%2B") == ("tag", {"name": "c/c++"})
    assert router.match("GET", "/tags/q3+q4/notes") == ("tag-notes", {"name": "q3+q4"})
    assert router.match("GET", "/tags/50%25%2F") == ("tag", {"name": "50%/"})
    with pytest.raises(NotFound):
        router.match("GET", "/tags/a/b")
    with pytest.raises(NotFound):
        router.match("GET", "/tags/%FF")


def test_head_and_allow():
    router = Router()
    router.add("GET", "/notes", "list")
    router.add("POST", "/notes", "create")
    router.add("DELETE", "/notes/{id:int}", "delete")
    assert router.match("HEAD", "/notes") == ("list", {})
    with pytest.raises(MethodNotAllowed) as e:
        router.match("PUT", "/notes")
    assert e.value.allowed == ["GET", "HEAD", "POST"]
    with pytest.raises(MethodNotAllowed) as e:
        router.match("HEAD", "/notes/3")
    assert e.value.allowed == ["DELETE"]
    with pytest.raises(NotFound):
        router.match("GET", "/notes/x")
