"""Reading files as lists of lines. Each line keeps its "\n"; only the last line of a file
may lack it. Text is decoded as UTF-8 with surrogateescape so any bytes round-trip."""


def split_lines(text):
    """'a\nb' -> ['a\n', 'b']; '' -> []. Lines end at "\n" only (str.splitlines() would
    also break at "\r", form feeds and the like)."""
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            out.append(text[start:])
            break
        out.append(text[start : end + 1])
        start = end + 1
    return out


def read_lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return split_lines(f.read())


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
        f.write("".join(lines))
