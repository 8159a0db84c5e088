"""A clinical reviewer's final decision on one policy's latest determination of a case.

Only reviewers record reviews (the route checks the role); what a review may finalize and cite is in
review_rules.py. A determination is finalized once: new documentation makes a new determination, which
can be reviewed again.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.store import models as m
from priorauth.service.store.db import reading, writing
from priorauth.service.workflow.cases import find
from priorauth.service.workflow.errors import Refused, not_found
from priorauth.service.workflow.review_rules import ReviewRequest, citations, review_state, reviewable, status_of
from priorauth.service.workflow.views import review_dict


def review(store: Any, user: User, case_id: str, body: ReviewRequest, if_match: int | None) -> dict[str, Any]:
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
        raise Refused("conflict", f"the case is at version {row.version}, not {if_match}: reload and retry",
                      "If-Match")
    det = reviewable(latest, reviewed, body.policy)
    cited = citations(body, json.loads(det.result))
    reviewed[det.id] = body.decision
    status = status_of([(d.decision, reviewed.get(d.id)) for d in latest])
    at = m.now()
    try:
        with writing(store.engine) as conn:
            changed = conn.execute(update(m.cases).where(m.cases.c.id == case_id, m.cases.c.version == row.version)
                                   .values(version=row.version + 1, status=status, updated_at=at)).rowcount
            if changed != 1:
                raise Refused("conflict", "the case was changed by another request meanwhile: reload and retry")
            rid = conn.execute(insert(m.reviews).values(
                case_id=case_id, determination_id=det.id, policy_id=det.policy_id, decision=body.decision,
                rationale=body.rationale, criteria=json.dumps(cited), reviewer=user.name, created_at=at,
            ).returning(m.reviews.c.id)).scalar_one()
            chain.touch(conn, m.cases, id=case_id)
            chain.touch(conn, m.reviews, id=rid)
            chain.append(conn, user.name, user.role, "case.review", case_id, {
                "review": rid, "determination": det.id, "policy": det.policy_id, "decision": body.decision,
                "engine_decision": det.decision, "criteria": cited, "version": row.version + 1,
                "review_sha256": chain.review_digest(body.decision, body.rationale, cited)})
            saved = conn.execute(select(m.reviews).where(m.reviews.c.id == rid)).one()
    except IntegrityError:
        raise Refused("already-finalized", f"the {det.policy_id} determination was finalized meanwhile") from None
    state = review_state(det.decision, body.decision)[0]
    return review_dict(saved) | {"case": case_id, "case_status": status, "case_version": row.version + 1,
                                 "review_status": state}
