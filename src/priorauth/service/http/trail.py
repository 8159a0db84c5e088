"""Reading the audit trail over the API (admin only); the read is itself recorded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.store import models as m
from priorauth.service.store.db import writing
from priorauth.service.workflow.state import Store


def read_trail(store: Store, user: User, case_id: str | None, page: int, per_page: int) -> dict[str, Any]:
    query = select(m.audit_events)
    if case_id is not None:
        query = query.where(m.audit_events.c.case_id == case_id)
    with writing(store.engine) as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(m.audit_events.c.seq).offset((page - 1) * per_page).limit(per_page)).all()
        chain.append(conn, user.name, user.role, "audit.read", case_id, {"page": page, "events": len(rows)})
    return {"events": [chain.event_dict(r) for r in rows], "page": page, "per_page": per_page, "total": total}
