"""The notes API: handlers and the routes that reach them (see docs/API.md)."""

from dataclasses import asdict
from urllib.parse import quote, urlencode

from .query import BadRequest, int_param
from .router import Router
from .store import ValidationError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def error(status, message, headers=None):
    return Response(status, {"error": message}, headers)


def page(items, total, offset, limit, base, query):
    """One page of a list plus the link to the next page (null on the last page)."""
    following = offset + limit
    if limit and following < total:
        params = [(k, v) for k in sorted(query) if k not in ("offset", "limit") for v in query[k]]
        params += [("limit", str(limit)), ("offset", str(following))]
        nxt = f"{base}?{urlencode(params)}"
    else:
        nxt = None
    return {"items": items, "total": total, "next": nxt}


def build(store):
    router = Router()

    @router.route("GET", "/notes")
    def list_notes(req):
        tags = req.query.get("tag", [])
        limit = int_param(req.query, "limit", DEFAULT_LIMIT, 0, MAX_LIMIT)
        offset = int_param(req.query, "offset", 0, 0, 10**9)
        notes = store.with_tags(tags)
        items = [asdict(n) for n in notes[offset : offset + limit]]
        return Response(200, page(items, len(notes), offset, limit, "/notes", req.query))

    @router.route("POST", "/notes")
    def create_note(req):
        data = req.json()
        if not isinstance(data, dict):
            return error(400, "body must be a JSON object")
        note = store.create(data.get("title"), data.get("body", ""), data.get("tags", []))
        return Response(201, asdict(note), {"Location": f"/notes/{note.id}"})

    @router.route("GET", "/notes/{note_id:int}")
    def get_note(req, note_id):
        note = store.get(note_id)
        return Response(200, asdict(note)) if note else error(404, "no such note")

    @router.route("DELETE", "/notes/{note_id:int}")
    def delete_note(req, note_id):
        return Response(204) if store.delete(note_id) else error(404, "no such note")

    @router.route("GET", "/tags")
    def list_tags(req):
        counts = store.tag_counts()
        return Response(200, {"tags": [{"name": t, "count": counts[t]} for t in sorted(counts)]})

    @router.route("GET", "/tags/{name}")
    def tag_notes(req, name):
        ids = [n.id for n in store.with_tags([name])]
        if not ids:
            return error(404, "no such tag")
        return Response(200, {"name": name, "notes": ids, "href": "/tags/" + quote(name, safe="")})

    @router.route("GET", "/tags/popular")
    def popular_tags(req):
        n = int_param(req.query, "n", 5, 1, 50)
        counts = store.tag_counts()
        top = sorted(counts, key=lambda t: (-counts[t], t))[:n]
        return Response(200, {"tags": [{"name": t, "count": counts[t]} for t in top]})

    return router


def handle(router, req):
    """Runs the request through the router; every failure becomes a JSON error response."""
    from .router import MethodNotAllowed, NotFound

    try:
        handler, params = router.match(req.method, req.path)
        return handler(req, **params)
    except NotFound:
        return error(404, "not found")
    except MethodNotAllowed as e:
        return error(405, "method not allowed", {"Allow": ", ".join(e.allowed)})
    except (BadRequest, ValidationError) as e:
        return error(400, str(e))
