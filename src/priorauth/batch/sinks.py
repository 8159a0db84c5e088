"""Where a batch's rows go: JSON lines as they come, or Parquet written a row group at a time. Either is written
to `OUT.partial` and renamed when complete, so the output appears whole or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import orjson

from priorauth.batch.inputs import JSONL, PARQUET
from priorauth.errors import USAGE, PriorAuthError

ROW_GROUP = 4096  # rows per Parquet row group: about 8 MB held in the parent at summary level


class Sink(Protocol):
    format: str  # what the workers encode a chunk's rows as: "jsonl", "arrow" (impact.py: "impact")

    def write(self, payload: bytes) -> tuple[int, int]: ...  # a chunk's encoded rows; returns (rows, failed)
    def close(self) -> None: ...  # complete: rename into place
    def abandon(self) -> None: ...  # failed: remove the partial file


def open_sink(path: Path) -> Sink:
    suffix = path.suffix.lower()
    if suffix in JSONL:
        return JsonlSink(path)
    if suffix in PARQUET:
        return ParquetSink(path)
    raise PriorAuthError(USAGE, "--out", f"write JSON lines (.jsonl) or Parquet (.parquet), not {path.name!r}")


def encode(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """A chunk's rows as the sink wants them, encoded in the worker (so the parent only writes): JSON lines, or
    an Arrow IPC stream of one record batch."""
    if fmt == "jsonl":
        return b"".join(orjson.dumps(row) + b"\n" for row in rows)
    import pyarrow as pa

    schema = row_schema()
    columns: dict[str, list] = {name: [] for name in schema.names}
    for row in rows:
        for name in _PLAIN:
            columns[name].append(row[name])
        columns["findings"].append(list(row["findings"].items()))
        d = row["determination"]
        columns["determination"].append(orjson.dumps(d).decode() if d is not None else None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_batch(pa.record_batch([columns[n] for n in schema.names], schema=schema))
    return sink.getvalue().to_pybytes()


class JsonlSink:
    format = "jsonl"

    def __init__(self, path: Path):
        self.path, self.tmp = path, path.with_name(path.name + ".partial")
        self.file = self.tmp.open("wb")

    def write(self, payload: bytes) -> tuple[int, int]:
        self.file.write(payload)
        lines = payload.splitlines()
        return len(lines), sum(1 for line in lines if b'"error":null' not in line)

    def close(self) -> None:
        self.file.close()
        self.tmp.replace(self.path)

    def abandon(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


_PLAIN = ("source", "case", "policy", "version", "policy_sha256", "decision", "not_met", "unknown", "error")


def row_schema():
    """The rows' Arrow schema: the determination as JSON text (its shape is the determination schema's)."""
    import pyarrow as pa

    text, names = pa.string(), pa.list_(pa.string())
    return pa.schema([("source", text), ("case", text), ("policy", text), ("version", text),
                      ("policy_sha256", text), ("decision", text), ("not_met", names), ("unknown", names),
                      ("findings", pa.map_(text, pa.int32())), ("error", text), ("determination", text)])


class ParquetSink:
    """Workers' record batches gathered into row groups of about ROW_GROUP rows."""

    format = "arrow"

    def __init__(self, path: Path):
        import pyarrow.parquet as pq

        self.path, self.tmp = path, path.with_name(path.name + ".partial")
        self.schema = row_schema()
        self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")
        self.batches: list = []
        self.held = 0

    def write(self, payload: bytes) -> tuple[int, int]:
        import pyarrow as pa

        batch = pa.ipc.open_stream(payload).read_next_batch()
        self.batches.append(batch)
        self.held += batch.num_rows
        if self.held >= ROW_GROUP:
            self._flush()
        return batch.num_rows, batch.num_rows - batch.column("error").null_count

    def _flush(self) -> None:
        import pyarrow as pa

        if self.batches:
            self.writer.write_table(pa.Table.from_batches(self.batches, self.schema), row_group_size=self.held)
            self.batches, self.held = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()
        self.tmp.replace(self.path)

    def abandon(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)
