"""The shared folder: reading, writing, listing and importing archives."""

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from .errors import BadRequest, Forbidden, NotFound


class Share:
    def __init__(self, root):
        self.root = Path(root).resolve()

    def _resolve(self, rel, base=None):
        """The path of `rel` (a path relative to `base`, default the root); refuses anything
        that ends up outside the root."""
        base = self.root if base is None else base
        if "\x00" in rel:
            raise BadRequest("NUL in path")
        target = os.path.normpath(os.path.join(base, rel.lstrip("/")))
        if not target.startswith(str(self.root)):
            raise Forbidden(rel)
        return Path(target)

    def read(self, rel):
        path = self._resolve(rel)
        if not path.is_file():
            raise NotFound(rel)
        return path.read_bytes()

    def write(self, rel, data):
        path = self._resolve(rel)
        if path == self.root or path.is_dir():
            raise BadRequest(f"{rel} is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def listdir(self, rel):
        path = self._resolve(rel)
        if not path.is_dir():
            raise NotFound(rel)
        return sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir())

    def import_archive(self, name, data):
        """Unpacks a .tar, .tar.gz, .tgz or .zip archive into a folder named after it; returns
        the number of files written. Archives may hold only plain files and folders."""
        stem, members = _read_archive(name, data)
        dest = self._resolve(stem)
        plan = []
        for member_name, is_dir, content in members:
            pure = PurePosixPath(member_name)
            if pure.is_absolute() or ".." in pure.parts or not member_name.strip("/"):
                raise BadRequest(f"unsafe archive member {member_name!r}")
            plan.append((self._resolve(member_name, dest), is_dir, content))
        count = 0
        for path, is_dir, content in plan:
            if is_dir:
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            count += 1
        return count


def _read_archive(name, data):
    """(folder name, [(member name, is folder, bytes)]) of an archive; refuses links, devices
    and anything that is neither a plain file nor a folder."""
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            break
    else:
        raise BadRequest(f"{name}: not a .tar, .tar.gz, .tgz or .zip archive")
    if "/" in stem or stem in (".", ".."):
        raise BadRequest(f"bad archive name {name!r}")
    members = []
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    kind = stat.S_IFMT(info.external_attr >> 16)
                    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                        raise BadRequest(f"archive member {info.filename!r} is not a plain file")
                    members.append((info.filename, info.is_dir(),
                                    b"" if info.is_dir() else zf.read(info)))
        else:
            with tarfile.open(fileobj=io.BytesIO(data)) as tf:
                for info in tf.getmembers():
                    if not (info.isfile() or info.isdir()):
                        raise BadRequest(f"archive member {info.name!r} is not a plain file")
                    members.append((info.name, info.isdir(),
                                    b"" if info.isdir() else tf.extractfile(info).read()))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise BadRequest(f"{name}: unreadable archive: {e}") from None
    return stem, members
