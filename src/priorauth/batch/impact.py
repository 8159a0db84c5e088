"""Policy-change impact: every case under a baseline and a candidate policy set, and which decisions change,
counted by the criterion responsible. Runs as batch tasks (local processes or Dask): a chunk comes back as its
changed rows only, so the parent aggregates a few lines per chunk however large the input.

Readings (docs/batch.md):
- The candidate's latest version of each policy it holds is applied *as if in force* on every case's date: the
  point is to see a revision's effect before it takes effect. The baseline's version is the one in force on
  the case's date, as `check` picks it (none: `not_applicable`).
- The criteria responsible for a change are the decisive criteria (the determination's reasons) that one side
  has and the other has not; when both sides cite the same ones (or none), those of the side that does not
  approve, else `(applicability)`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from priorauth.batch.rows import rows_for
from priorauth.policy.model import PolicySet

APPLICABILITY = "(applicability)"
EXAMPLES = 5  # example cases kept per change and per criterion


def as_if_in_force(policies: PolicySet) -> PolicySet:
    """Each policy's latest version alone, in force on every date (the file's own dates stay in its hash)."""
    versions = {pid: [vs[-1].model_copy(update={"effective": dt.date.min, "end": None})]
                for pid, vs in policies.versions.items()}
    return PolicySet(versions, policies.files, policies.hashes)


def one_version(policies: PolicySet, spec: str) -> PolicySet:
    """`ID@VERSION`: that version of that policy from `policies`, alone (a usage error names what is known)."""
    from priorauth.errors import USAGE, PriorAuthError

    pid, _, version = spec.partition("@")
    found = [p for p in policies.get(pid) if p.version == version]
    if not found:
        known = ", ".join(p.version for p in policies.versions[pid])
        raise PriorAuthError(USAGE, spec, f"no version {version!r} of {pid} (versions: {known})")
    return PolicySet({pid: found}, policies.files, policies.hashes)


def with_candidate(baseline: PolicySet, candidate: PolicySet) -> PolicySet:
    """The baseline with the candidate's policies in place of its own, applied as if in force: every payer the
    baseline knows stays known, and only the candidate's policies differ."""
    revised = as_if_in_force(candidate)
    return PolicySet({**baseline.versions, **revised.versions}, {**baseline.files, **revised.files},
                     {**baseline.hashes, **revised.hashes})


def _reasons(row: dict[str, Any]) -> list[str]:
    d = row.get("determination") or {}
    return list(dict.fromkeys(r["criterion"] for r in d.get("reasons", ()) if r.get("criterion")))


def responsible(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    b, a = _reasons(before), _reasons(after)
    differ = [c for c in a if c not in b] + [c for c in b if c not in a]
    if differ:
        return differ
    side = a if after["decision"] != "approve" else b
    return side or [APPLICABILITY]


@dataclass(frozen=True)
class Sets:
    """The two compiled policy sets, one object (so a Dask cluster receives it as one)."""

    baseline: Any
    candidate: Any


def impact_chunk(sets: Sets, job: Any, items: list[tuple[str, str]]) -> bytes:
    """A chunk's cases under both sets: one JSON line per changed (case, policy) or failed case, then a count."""
    baseline, candidate = sets.baseline, sets.candidate
    only = job.only or tuple(candidate.ids)
    out, compared = [], 0
    for source, text in items:
        before = rows_for(source, text, baseline, only, job.as_of, job.explain, job.notes)
        after = rows_for(source, text, candidate, only, job.as_of, job.explain, job.notes)
        failed = next((r for r in before + after if r["error"]), None)
        if failed:
            out.append({"kind": "error", "source": source, "case": failed["case"], "error": failed["error"]})
            continue
        old = {r["policy"]: r for r in before}
        for new in after:
            compared += 1
            prev = old.get(new["policy"])
            if prev is None or prev["decision"] == new["decision"]:
                continue
            out.append({"kind": "change", "source": source, "case": new["case"], "policy": new["policy"],
                        "baseline_version": prev["version"], "candidate_version": new["version"],
                        "candidate_sha256": new["policy_sha256"], "from": prev["decision"], "to": new["decision"],
                        "criteria": responsible(prev, new), "baseline_not_met": prev["not_met"],
                        "candidate_not_met": new["not_met"], "baseline_unknown": prev["unknown"],
                        "candidate_unknown": new["unknown"]})
    out.append({"kind": "count", "compared": compared, "cases": len(items)})
    return b"".join(orjson.dumps(row) + b"\n" for row in out)


@dataclass
class Impact:
    """What the chunks add up to: the report's content."""

    cases: int = 0
    compared: int = 0
    changes: Counter = field(default_factory=Counter)  # (from, to) -> rows
    by_criterion: Counter = field(default_factory=Counter)  # (policy, criterion, from, to) -> rows
    examples: dict = field(default_factory=dict)  # (policy, criterion, from, to) -> [case ids]
    errors: list = field(default_factory=list)  # (source, message), the first EXAMPLES * 4
    error_count: int = 0


class ImpactSink:
    """Aggregates the chunks and writes the changed rows to Parquet as they come."""

    format = "impact"

    def __init__(self, rows_path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.impact = Impact()
        self.path, self.tmp = rows_path, rows_path.with_name(rows_path.name + ".partial")
        text, names = pa.string(), pa.list_(pa.string())
        self.schema = pa.schema([(n, text) for n in ("source", "case", "policy", "baseline_version",
                                                      "candidate_version", "candidate_sha256", "from", "to")]
                                + [(n, names) for n in ("criteria", "baseline_not_met", "candidate_not_met",
                                                        "baseline_unknown", "candidate_unknown")])
        self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")

    def write(self, payload: bytes) -> tuple[int, int]:
        import pyarrow as pa

        imp, changed, failed = self.impact, [], 0
        for line in payload.splitlines():
            row = orjson.loads(line)
            kind = row.pop("kind")
            if kind == "count":
                imp.cases += row["cases"]
                imp.compared += row["compared"]
            elif kind == "error":
                failed += 1
                imp.error_count += 1
                if len(imp.errors) < EXAMPLES * 4:
                    imp.errors.append((row["source"], row["error"]))
            else:
                changed.append(row)
                imp.changes[(row["from"], row["to"])] += 1
                for criterion in row["criteria"]:
                    key = (row["policy"], criterion, row["from"], row["to"])
                    imp.by_criterion[key] += 1
                    seen = imp.examples.setdefault(key, [])
                    if len(seen) < EXAMPLES:
                        seen.append(row["case"])
        if changed:
            self.writer.write_table(pa.Table.from_pylist(changed, self.schema))
        return len(changed) + failed, failed

    def close(self) -> None:
        self.writer.close()
        self.tmp.replace(self.path)

    def abandon(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)
