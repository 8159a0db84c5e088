"""The adapter between the service and the engine: evaluate a case, read criteria from a stored result."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from priorauth import __version__
from priorauth.case.model import Case
from priorauth.case.provenance import CASE_FILE, Evidence
from priorauth.engine.evaluate import evaluate_case
from priorauth.engine.policyset import CompiledPolicies
from priorauth.service.audit.chain import sha256_text
from priorauth.vocab import NOT_MET, Explain


def evaluate(case: Case, policies: CompiledPolicies, as_of: dt.date | None = None,
             only: list[str] | None = None, explain: Explain | str = Explain.full,
             evidence: Evidence | None = None) -> list[dict[str, Any]]:
    """Determinations as `priorauth check --format json` prints them (one dict per policy). As there, the case's
    notes are read first: their facts fill what the case leaves out, each cited with its note span, and sources
    that disagree leave the fact unknown (evidence/merge.py)."""
    findings: tuple = ()
    if case.notes:
        from priorauth.evidence.merge import apply_notes

        read = apply_notes(case, evidence or CASE_FILE)
        case, evidence, findings = read.case, read.evidence, read.findings
    extra = {"evidence": evidence} if evidence is not None else {}
    return [d.to_dict(explain) for d in evaluate_case(case, policies, as_of, only, **extra, findings=findings,
                                                      explain=explain)]


def determination_rows(case_id: str, revision: int, results: list[dict[str, Any]],
                       at: dt.datetime) -> list[dict[str, Any]]:
    """Immutable rows recording policy id, version and content hash, and the engine version."""
    rows = []
    for result in results:
        version = result.get("policy_version") or {}
        text = json.dumps(result, separators=(",", ":"))  # ASCII: no NUL or lone surrogate reaches the DB
        rows.append({"case_id": case_id, "revision": revision, "policy_id": result["policy"],
                     "policy_version": version.get("version"), "policy_sha256": version.get("content_sha256"),
                     "engine_version": version.get("engine_version") or __version__,
                     "decision": result["decision"], "result": text, "result_sha256": sha256_text(text),
                     "created_at": at})
    return rows


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("children", ()):
        yield from _walk(child)


def criteria_ids(result: dict[str, Any]) -> set[str]:
    """Every criterion and scope rule a determination names."""
    ids = {n["id"] for n in _walk(result["criteria"])} if result.get("criteria") else set()
    for reason in result.get("reasons", ()):
        ids.update(reason[k] for k in ("criterion", "rule") if k in reason)
    return ids


def not_met_criteria(result: dict[str, Any]) -> list[str]:
    """The criteria of a determination that are documented as not met (what a denial may cite).

    Every not-met node of the criteria tree, and the deny reasons (a scope rule's exclusion has no tree);
    recorded with the result since format priorauth-determination/1, derived here for older rows.
    """
    if "not_met_criteria" in result:
        return list(result["not_met_criteria"])
    out: list[str] = []
    if result.get("decision") == "deny":  # the decisive ones first
        out.extend(reason[key] for reason in result.get("reasons", ()) for key in ("criterion", "rule")
                   if key in reason)
    if result.get("criteria"):
        out.extend(n["id"] for n in _walk(result["criteria"]) if n.get("verdict") == NOT_MET)
    return list(dict.fromkeys(out))
