"""Audit events for requests that touch PHI without storing anything (an evaluation), and for refused ones
(no token, a bad token, a role that may not): HIPAA 164.312(b) asks for both. Identifiers only."""

from __future__ import annotations

from typing import Any

from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.store.db import writing
from priorauth.service.workflow.state import Store


def audit_evaluation(store: Store, user: User, results: list[dict[str, Any]]) -> None:
    with writing(store.engine) as conn:
        chain.append(conn, user.name, user.role, "case.evaluate", None,
                     {"decisions": {r["policy"]: r["decision"] for r in results}})


def audit_refusal(store: Store, user: User | None, action: str, details: dict[str, Any]) -> None:
    with writing(store.engine) as conn:
        chain.append(conn, user.name if user else "(anonymous)", user.role if user else "none", action, None,
                     details)
