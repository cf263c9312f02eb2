# Oracle for bug-fixing/http-routing: restores the behaviour docs/API.md specifies, whichever
# of the four defects this instance carries (each edit is a no-op where it is not needed).
cd /workspace &&
python3 - <<'PY'
from pathlib import Path

router = Path("notesvc/router.py")
text = router.read_text()
# routes: the most specific first, whatever the registration order
text = text.replace("self._routes.sort(key=lambda r: len(r.segments))",
                    "self._routes.sort(key=Route.specificity)")
# paths: split first, then decode each segment
text = text.replace(
    "    path = unquote(path, errors=\"strict\")\n"
    "    if not path.startswith(\"/\"):\n"
    "        raise NotFound(path)\n"
    "    return path[1:].split(\"/\")\n",
    "    if not path.startswith(\"/\"):\n"
    "        raise NotFound(path)\n"
    "    return [unquote(part, errors=\"strict\") for part in path[1:].split(\"/\")]\n")
# HEAD wherever GET, and listed in Allow
if 'method == "HEAD" and route.method == "GET"' not in text:
    text = text.replace(
        "            if route.method == method:\n"
        "                return route.handler, params\n"
        "            allowed.add(route.method)\n",
        "            if route.method == method or (method == \"HEAD\" and route.method == \"GET\"):\n"
        "                return route.handler, params\n"
        "            allowed.add(route.method)\n"
        "            if route.method == \"GET\":\n"
        "                allowed.add(\"HEAD\")\n")
router.write_text(text)

app = Path("notesvc/app.py")
text = app.read_text()
# no next link when the page reaches the end
app.write_text(text.replace("if limit and following <= total:", "if limit and following < total:"))
PY
python3 -m pytest -q -p no:cacheprovider tests
