"""One case (its text, where it came from) to its output rows: pure, so a worker process or a Dask task runs the
same function on any machine."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import ValidationError

from priorauth.errors import PriorAuthError
from priorauth.vocab import UNKNOWN, Explain


def rows_for(source: str, text: str, policies: Any, only: tuple[str, ...] | None, as_of: dt.date | None,
             explain: Explain, notes: bool = True) -> list[dict[str, Any]]:
    """The case's determinations as rows: case id, policy, version and content hash, decision, not-met and
    unknown criterion ids, finding counts, and the determination at `explain`; or one row with the error. A
    case's notes are read first, as `check` reads them (`notes=False` skips them)."""
    from priorauth.batch.inputs import unreadable
    from priorauth.case.model import Case
    from priorauth.engine.evaluate import evaluate_case
    from priorauth.intake.duplicate_keys import REPEATED, repeated_key
    from priorauth.intake.normalise import normalised, unknown_drug_names

    why = unreadable(text)
    if why is not None:
        return [_error(source, None, why)]
    try:
        repeated = repeated_key(text)
        if repeated:
            return [_error(source, _case_id(text), f"{repeated}: {REPEATED}")]
        case = Case.model_validate_json(text)
        problems = unknown_drug_names(case, policies.knowledge.drugs)
        if problems:
            return [_error(source, case.id, "; ".join(f"{where}: {what}" for where, what in problems))]
        case = normalised(case, policies.knowledge.drugs)
        policies.for_payer(case.member.payer)
        extra: dict[str, Any] = {}
        if notes and case.notes:
            from priorauth.case.provenance import CASE_FILE
            from priorauth.evidence.merge import apply_notes

            read = apply_notes(case, CASE_FILE)
            case, extra = read.case, {"evidence": read.evidence, "findings": read.findings}
        found = evaluate_case(case, policies, as_of, list(only) if only else None, **extra, explain=explain)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(case)"
        more = len(exc.errors()) - 1
        return [_error(source, _case_id(text), f"{where}: {first['msg']}" + (f" (and {more} more)" if more else ""))]
    except PriorAuthError as exc:
        return [_error(source, _case_id(text), str(exc))]
    except Exception as exc:  # noqa: BLE001 - one case's defect is its row, named by type, not the run's end
        return [_error(source, _case_id(text), f"internal error: {type(exc).__name__}")]
    out = []
    for d in found:
        version = d.policy_version
        unknown = d.tree.with_status(UNKNOWN) if d.tree is not None else []
        kinds: dict[str, int] = {}
        for f in d.findings:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        determination = d.to_dict(explain)
        out.append({"source": source, "case": case.id, "policy": d.policy,
                    "version": version.version if version else None,
                    "policy_sha256": version.content_sha256 if version else None,
                    "decision": d.decision, "not_met": list(determination["not_met_criteria"]), "unknown": unknown,
                    "findings": kinds, "error": None, "determination": determination})
    return out


def _case_id(text: str) -> str | None:
    try:
        value = json.loads(text).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _error(source: str, case_id: str | None, message: str) -> dict[str, Any]:
    return {"source": source, "case": case_id, "policy": None, "version": None, "policy_sha256": None,
            "decision": None, "not_met": [], "unknown": [], "findings": {}, "error": message, "determination": None}
