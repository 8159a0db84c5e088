"""Where a batch's cases come from: each yields (source, case JSON text) one at a time, never the whole input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from priorauth.errors import USAGE, PriorAuthError
from priorauth.intake.files import MAX_CASE_BYTES

JSONL = (".jsonl", ".ndjson")
PARQUET = (".parquet", ".pq")
CASE_COLUMN = "case"  # a Parquet input's column of case JSON text (one priorauth-case/1 object per row)


def read_inputs(path: Path) -> Iterator[tuple[str, str]]:
    """Each line of a JSONL file (source `FILE:LINE`), each row of a Parquet file's `case` column (`FILE:ROW`,
    from 1), or each case file of a folder (*.json, *.yaml, *.yml; not expected.json)."""
    if path.is_dir():
        return _folder(path)
    if not path.is_file():
        raise PriorAuthError(USAGE, str(path), "no such file or folder")
    suffix = path.suffix.lower()
    if suffix in JSONL:
        return _jsonl(path)
    if suffix in PARQUET:
        return _parquet(path)
    raise PriorAuthError(USAGE, str(path), "give a JSONL file (.jsonl, one case per line), a Parquet file "
                                           "(.parquet, a 'case' column of case JSON) or a folder of cases")


def _folder(path: Path) -> Iterator[tuple[str, str]]:
    for p in sorted(path.iterdir()):
        if p.suffix in (".json", ".yaml", ".yml") and not p.name.startswith("expected."):
            yield str(p), _read_file(p)


def _jsonl(path: Path) -> Iterator[tuple[str, str]]:
    with path.open("rb") as lines:
        for n, line in enumerate(lines, 1):
            if line.strip():
                yield f"{path}:{n}", line.decode("utf-8", errors="replace")


def _parquet(path: Path) -> Iterator[tuple[str, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise PriorAuthError(USAGE, str(path), f"not a Parquet file ({exc})") from None
    names = file.schema_arrow.names
    if CASE_COLUMN not in names:
        raise PriorAuthError(USAGE, str(path), f"no {CASE_COLUMN!r} column of case JSON (columns: {', '.join(names)})")
    kind = file.schema_arrow.field(CASE_COLUMN).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise PriorAuthError(USAGE, f"{path}: {CASE_COLUMN}", f"the column must be text (case JSON), not {kind}")
    n = 0
    for batch in file.iter_batches(batch_size=4096, columns=[CASE_COLUMN]):  # one row group's slice at a time
        for text in batch.column(0).to_pylist():
            n += 1
            yield f"{path}:{n}", text if text is not None else "null"


# A file that cannot be read as a case still yields one text, so its error is its row and the run goes on.
UNREADABLE = "__unreadable__"


def _read_file(p: Path) -> str:
    try:
        if p.stat().st_size > MAX_CASE_BYTES:
            return _unreadable(f"larger than {MAX_CASE_BYTES // 2**20} MB: a case file holds one case")
        raw = p.read_bytes()
    except OSError as exc:
        return _unreadable(f"cannot read: {exc.strerror or exc}")
    if p.suffix == ".json":
        return raw.decode("utf-8", errors="replace")
    import yaml

    from priorauth.yamlio import load_yaml

    try:
        return orjson.dumps(load_yaml(raw)).decode()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return _unreadable(f"not valid YAML{f' (line {mark.line + 1})' if mark else ''}: "
                           f"{getattr(exc, 'problem', None) or exc}")
    except Exception as exc:  # noqa: BLE001 - a bad YAML file is that case's error row
        return _unreadable(f"not a case: {type(exc).__name__}")


def _unreadable(message: str) -> str:
    return orjson.dumps({UNREADABLE: message}).decode()


def unreadable(text: str) -> str | None:
    """The reason a file could not be read, when `text` stands for one (see UNREADABLE)."""
    if text.startswith('{"' + UNREADABLE):
        return orjson.loads(text)[UNREADABLE]
    return None


def count_inputs(path: Path) -> int | None:
    """How many cases `read_inputs(path)` will yield, where that is cheap to know (for the progress bar's ETA):
    a folder's case files, a Parquet file's rows, a JSONL file's non-empty lines (one fast pass over its bytes)."""
    try:
        if path.is_dir():
            return sum(1 for p in path.iterdir() if p.suffix in (".json", ".yaml", ".yml")
                       and not p.name.startswith("expected."))
        suffix = path.suffix.lower()
        if suffix in PARQUET:
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if suffix in JSONL:
            lines = 0
            with path.open("rb") as f:
                while block := f.read(1 << 22):
                    lines += block.count(b"\n")
                # blank lines are counted too: at worst the ETA runs a little long
            return lines + (1 if path.stat().st_size and not _ends_with_newline(path) else 0)
    except OSError:
        return None
    return None


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, 2)
        return f.read(1) == b"\n"
