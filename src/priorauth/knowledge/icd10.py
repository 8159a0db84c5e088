"""ICD-10-CM lookups from the official release shipped by `simple-icd-10-cm`, through a small index.

Loading the package parses the whole classification (about 2 s and 200 MB). So the index of every code
(description, billable, children) ships with priorauth for the package version it was made from
(icd10cm/simple-icd-10-cm-VERSION.jsonl.xz, 0.65 MB): the first use writes it out as a SQLite file under
the cache directory ($PRIORAUTH_CACHE_DIR, default ~/.cache/priorauth) in a few tens of MB. Only with
another version of the package is the index built from the package itself, in a separate process, once.
Opening the index reads it into memory (11 MB), so lookups during an evaluation touch no file.

When the pinned package version changes: `python -m priorauth.knowledge.icd10 ship` writes the new file
(tests/test_knowledge.py holds the shipped file to what the package gives).
"""

from __future__ import annotations

import importlib.metadata
import json
import lzma
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


SHIPPED_DIR = Path(__file__).with_name("icd10cm")


def shipped_file(version: str | None = None) -> Path:
    return SHIPPED_DIR / f"{PACKAGE}-{version or package_version()}.jsonl.xz"


def package_rows() -> list[tuple[str, str, int, str]]:
    """(code, description, billable, children) of every code of the package (not chapters or blocks)."""
    import simple_icd_10_cm as cm

    rows = []
    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        leaf = cm.is_leaf(code)
        children = "" if leaf else " ".join(cm.get_children(code))
        rows.append((code, cm.get_description(code), int(leaf), children))
    return rows


def shipped_rows(path: Path):
    """The rows of a shipped index file, one at a time."""
    with lzma.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            code, description, billable, children = json.loads(line)
            yield code, description, billable, children


def write_index(rows, target: Path) -> int:
    """The SQLite index file from `rows`, written atomically (a reader never sees half of it); the row count."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    with sqlite3.connect(partial) as db:
        db.execute("CREATE TABLE code (code TEXT PRIMARY KEY, description TEXT, billable INTEGER, children TEXT)")
        db.executemany("INSERT INTO code VALUES (?, ?, ?, ?)", rows)
        count = db.execute("SELECT count(*) FROM code").fetchone()[0]
    os.replace(partial, target)
    return count


def build_index(target: Path) -> int:
    """Write the index from the package (run in a child process by `Icd10Index.open`); returns the row count."""
    return write_index(package_rows(), target)


def ship(folder: Path = SHIPPED_DIR) -> Path:
    """Write the installed package's index as the file priorauth ships (sorted by code: reproducible)."""
    out = folder / shipped_file().name
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in sorted(package_rows()))
    out.write_bytes(lzma.compress(text.encode("utf-8"), preset=9))
    return out


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
        if not path.is_file() and shipped_file().is_file():
            write_index(shipped_rows(shipped_file()), path)
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


if __name__ == "__main__":
    if sys.argv[1:] != ["ship"]:
        sys.exit("usage: python -m priorauth.knowledge.icd10 ship")
    print(ship())
