"""A clinical reviewer's final decision on one policy's latest determination of a case.

Only reviewers record reviews (the route checks the role). A `deny` must cite at least one criterion that
the determination found not met, named in `criteria` or by id in the rationale; the engine and
submitters can never finalize a denial. A determination is finalized once: new documentation makes a new
determination, which can be reviewed again.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.http.problems import Problem, not_found
from priorauth.service.http.schemas import ReviewIn
from priorauth.service.store import models as m
from priorauth.service.store.db import reading, writing
from priorauth.service.workflow.cases import find
from priorauth.service.workflow.evaluation import criteria_ids, not_met_criteria
from priorauth.service.workflow.views import review_dict, review_state, status_of

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def cited_in(rationale: str, candidates: list[str]) -> list[str]:
    """Criterion ids named in free text (whole tokens; a trailing full stop is punctuation)."""
    tokens = set()
    for t in _TOKEN.findall(rationale):
        tokens.add(t)
        tokens.add(t.rstrip(".-"))
    return [c for c in candidates if c in tokens]


def _citations(body: ReviewIn, result: dict[str, Any]) -> list[str]:
    not_met = not_met_criteria(result)
    if body.criteria is not None:
        allowed = not_met if body.decision == "deny" else sorted(criteria_ids(result))
        for i, cid in enumerate(body.criteria):
            if cid not in allowed:
                what = "a not-met criterion" if body.decision == "deny" else "a criterion"
                raise Problem(422, "invalid-request", f"{cid[:100]!r} is not {what} of the {result['policy']} "
                              f"determination (not met: {', '.join(not_met) or 'none'})", f"criteria[{i}]")
        cited = list(dict.fromkeys(body.criteria))
    else:
        cited = cited_in(body.rationale, not_met)
    if body.decision == "deny" and not cited:
        if not not_met:
            raise Problem(422, "invalid-request", f"the {result['policy']} determination has no criterion "
                          "documented as not met, so it cannot be denied", "decision")
        raise Problem(422, "invalid-request", "a denial must cite at least one not-met criterion of the "
                      f"determination: one of {', '.join(not_met)}", "criteria")
    return cited


def review(store: Any, user: User, case_id: str, body: ReviewIn, if_match: int | None) -> dict[str, Any]:
    with reading(store.engine) as conn:
        row = find(conn, case_id)
        if row is None or not user.sees(row.org):
            raise not_found(f"case {case_id!r}")
        latest = conn.execute(select(m.determinations).where(m.determinations.c.case_id == case_id,
                                                             m.determinations.c.revision == row.revision)).all()
        reviewed = {r.determination_id: r.decision for r in
                    conn.execute(select(m.reviews.c.determination_id, m.reviews.c.decision)
                                 .where(m.reviews.c.case_id == case_id))}
    if if_match is not None and if_match != row.version:
        raise Problem(409, "conflict", f"the case is at version {row.version}, not {if_match}: reload and retry",
                      "If-Match")
    det = next((d for d in latest if d.policy_id == body.policy), None)
    if det is None:
        known = ", ".join(d.policy_id for d in latest)
        raise Problem(422, "invalid-request", f"no determination for {body.policy[:100]!r} in this case "
                      f"(policies: {known})", "policy")
    if det.decision == "not_applicable":
        raise Problem(422, "invalid-request", f"{det.policy_id} does not apply to this case: nothing to review",
                      "policy")
    if det.id in reviewed:
        raise Problem(409, "already-finalized", f"the {det.policy_id} determination {det.id} is already "
                      "finalized; new documentation makes a new determination to review")
    cited = _citations(body, json.loads(det.result))
    reviewed[det.id] = body.decision
    status = status_of([(d.decision, reviewed.get(d.id)) for d in latest])
    at = m.now()
    try:
        with writing(store.engine) as conn:
            changed = conn.execute(update(m.cases).where(m.cases.c.id == case_id, m.cases.c.version == row.version)
                                   .values(version=row.version + 1, status=status, updated_at=at)).rowcount
            if changed != 1:
                raise Problem(409, "conflict", "the case was changed by another request meanwhile: reload and retry")
            rid = conn.execute(insert(m.reviews).values(
                case_id=case_id, determination_id=det.id, policy_id=det.policy_id, decision=body.decision,
                rationale=body.rationale, criteria=json.dumps(cited), reviewer=user.name, created_at=at,
            ).returning(m.reviews.c.id)).scalar_one()
            chain.append(conn, user.name, user.role, "case.review", case_id, {
                "review": rid, "determination": det.id, "policy": det.policy_id, "decision": body.decision,
                "engine_decision": det.decision, "criteria": cited, "version": row.version + 1,
                "review_sha256": chain.review_digest(body.decision, body.rationale, cited)})
            saved = conn.execute(select(m.reviews).where(m.reviews.c.id == rid)).one()
    except IntegrityError:
        raise Problem(409, "already-finalized", f"the {det.policy_id} determination was finalized meanwhile") from None
    state = review_state(det.decision, body.decision)[0]
    return review_dict(saved) | {"case": case_id, "case_status": status, "case_version": row.version + 1,
                                 "review_status": state}
