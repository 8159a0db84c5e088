"""ICD-10-CM lookups from the official release shipped by `simple-icd-10-cm`, through a small index.

Loading the package parses the whole classification (about 2 s and 200 MB). So the first use builds a
SQLite index of every code (description, billable, children) in a separate process, once per package
version, under the cache directory ($PRIORAUTH_CACHE_DIR, default ~/.cache/priorauth). Opening the
index reads it into memory (11 MB), so lookups during an evaluation touch no file.
"""

from __future__ import annotations

import importlib.metadata
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from priorauth.errors import ENVIRONMENT, PriorAuthError

PACKAGE = "simple-icd-10-cm"


def package_version() -> str:
    return importlib.metadata.version(PACKAGE)


def cache_dir() -> Path:
    base = os.environ.get("PRIORAUTH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "priorauth")
    return Path(base)


def index_path() -> Path:
    """The index file, in the cache directory or, where that cannot be written, the temporary directory."""
    name = f"icd10cm-{package_version()}.sqlite"
    preferred = cache_dir()
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK) or (preferred / name).is_file():
            return preferred / name
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"priorauth-{os.getuid()}" / name


def build_index(target: Path) -> int:
    """Write the index from the package (run in a child process by `_connection`); returns the row count."""
    import simple_icd_10_cm as cm

    rows = []
    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        leaf = cm.is_leaf(code)
        children = "" if leaf else " ".join(cm.get_children(code))
        rows.append((code, cm.get_description(code), int(leaf), children))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    with sqlite3.connect(partial) as db:
        db.execute("CREATE TABLE code (code TEXT PRIMARY KEY, description TEXT, billable INTEGER, children TEXT)")
        db.executemany("INSERT INTO code VALUES (?, ?, ?, ?)", rows)
    os.replace(partial, target)  # atomic: a reader never sees a half-written index
    return len(rows)


class Icd10Index:
    """The ICD-10-CM index held in memory: opened once (building it on first use), then lookups do no I/O.

    Pickles as its file path: a worker process reopens the same index.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PriorAuthError(ENVIRONMENT, str(path), f"cannot read the ICD-10-CM index: {exc.strerror}") from None
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.deserialize(data)
        self._seen: dict[str, tuple[str, bool, tuple[str, ...]] | None] = {}

    @classmethod
    def open(cls, path: Path | None = None) -> Icd10Index:
        path = path or index_path()
        if not path.is_file():
            proc = subprocess.run([sys.executable, "-c", f"from {__name__} import build_index; "
                                   f"from pathlib import Path; build_index(Path({str(path)!r}))"],
                                  capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                raise PriorAuthError(ENVIRONMENT, str(path),
                                     f"could not build the ICD-10-CM index: {proc.stderr.strip()[-300:]}")
        return cls(path)

    def __reduce__(self):
        return (Icd10Index.open, (self.path,))

    def __call__(self, code: str) -> tuple[str, bool, tuple[str, ...]] | None:
        """(description, billable, children) of a valid ICD-10-CM code (with its dot), else None."""
        if code in self._seen:
            return self._seen[code]
        row = self._db.execute("SELECT description, billable, children FROM code WHERE code = ?",
                               (code,)).fetchone()
        found = None if row is None else (row[0], bool(row[1]), tuple(row[2].split()) if row[2] else ())
        if len(self._seen) < 65536:
            self._seen[code] = found
        return found
