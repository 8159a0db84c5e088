"""What a case looks like over the API: its determinations with their review status (review_rules.py),
earlier determinations, reviews and the document.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from priorauth.service.store import models as m
from priorauth.service.workflow.review_rules import review_state


def review_dict(row: Any) -> dict[str, Any]:
    return {"id": row.id, "determination_id": row.determination_id, "policy": row.policy_id,
            "decision": row.decision, "rationale": row.rationale, "criteria": json.loads(row.criteria),
            "reviewer": row.reviewer, "created_at": m.iso(row.created_at)}


def determination_dict(row: Any, review: Any | None) -> dict[str, Any]:
    """The engine's determination (as the CLI prints it) plus where it is stored and its review status."""
    out = json.loads(row.result)
    state, final = review_state(row.decision, review.decision if review is not None else None)
    out.update({"determination_id": row.id, "revision": row.revision, "evaluated_at": m.iso(row.created_at),
                "review_status": state, "final_decision": final,
                "review": review_dict(review) if review is not None else None})
    return out


def summary(row: Any, latest: list[Any], reviews: dict[int, Any]) -> dict[str, Any]:
    decisions = {}
    for d in latest:
        review = reviews.get(d.id)
        state, final = review_state(d.decision, review.decision if review is not None else None)
        decisions[d.policy_id] = {"decision": d.decision, "review_status": state, "final_decision": final}
    return {"id": row.id, "case": row.ref, "org": row.org, "payer": row.payer, "status": row.status,
            "version": row.version, "revision": row.revision, "created_by": row.created_by,
            "created_at": m.iso(row.created_at), "updated_at": m.iso(row.updated_at), "policies": decisions}


def case_view(conn: Connection, row: Any) -> dict[str, Any]:
    """A case with its latest determinations (full), earlier ones (summarized), reviews and document."""
    dets = conn.execute(select(m.determinations).where(m.determinations.c.case_id == row.id)
                        .order_by(m.determinations.c.revision, m.determinations.c.id)).all()
    reviews = {r.determination_id: r for r in
               conn.execute(select(m.reviews).where(m.reviews.c.case_id == row.id).order_by(m.reviews.c.id))}
    body = conn.execute(select(m.case_revisions.c.body).where(m.case_revisions.c.case_id == row.id,
                                                              m.case_revisions.c.revision == row.revision)).scalar_one()
    latest = [d for d in dets if d.revision == row.revision]
    out = summary(row, latest, reviews)
    out["determinations"] = [determination_dict(d, reviews.get(d.id)) for d in latest]
    out["history"] = [{"determination_id": d.id, "revision": d.revision, "policy": d.policy_id,
                       "decision": d.decision, "evaluated_at": m.iso(d.created_at),
                       "final_decision": review_state(d.decision, reviews[d.id].decision
                                                      if d.id in reviews else None)[1]}
                      for d in dets if d.revision != row.revision]
    out["reviews"] = [review_dict(r) for r in reviews.values()]
    out["document"] = json.loads(body)
    return out


def summaries(conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    dets = conn.execute(select(m.determinations.c.id, m.determinations.c.case_id, m.determinations.c.revision,
                               m.determinations.c.policy_id, m.determinations.c.decision)
                        .where(m.determinations.c.case_id.in_(ids)).order_by(m.determinations.c.id)).all()
    reviews = {r.determination_id: r for r in
               conn.execute(select(m.reviews.c.determination_id, m.reviews.c.decision)
                            .where(m.reviews.c.case_id.in_(ids)))}
    by_case: dict[str, list[Any]] = {}
    revision = {r.id: r.revision for r in rows}
    for d in dets:
        if d.revision == revision[d.case_id]:
            by_case.setdefault(d.case_id, []).append(d)
    return [summary(r, by_case.get(r.id, []), reviews) for r in rows]
