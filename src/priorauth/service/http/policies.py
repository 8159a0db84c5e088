"""GET /v1/policies, /v1/policies/{id} (the policies and their criteria) and GET /healthz."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text
from starlette.responses import Response

from priorauth import __version__
from priorauth.policy.loader import PolicySet
from priorauth.service.auth.users import User
from priorauth.service.http.problems import Problem, not_found, responses
from priorauth.service.http.routes import current_user, dumps
from priorauth.service.http.schemas import Health, PolicyDetail, PolicySummary

router = APIRouter()


def _summary(policies: PolicySet, pid: str, day: dt.date) -> dict[str, Any]:
    latest = policies.latest(pid)
    current = policies.in_force(pid, day)
    return {"id": pid, "payer": latest.payer, "payer_name": latest.payer_name, "number": latest.number,
            "title": latest.title, "in_force": current.version if current else None,
            "versions": [{"version": p.version, "effective": p.effective.isoformat(),
                          "end": p.end.isoformat() if p.end else None,
                          "content_sha256": policies.hashes.get((p.id, p.version))} for p in policies.versions[pid]]}


OnDate = Annotated[dt.date | None, Query(alias="date", description="date of service (default: today, UTC)")]


@router.get("/v1/policies", response_model=None,
            responses={200: {"model": list[PolicySummary]}, **responses(401, 422)})
async def list_policies(request: Request, user: Annotated[User, Depends(current_user)], on: OnDate = None) -> Response:
    """The policies, their versions, and which version is in force on the date."""
    policies: PolicySet = request.app.state.store.policies
    day = on or dt.datetime.now(dt.UTC).date()
    return Response(dumps([_summary(policies, pid, day) for pid in policies.ids]), media_type="application/json")


@router.get("/v1/policies/{policy_id}", response_model=None,
            responses={200: {"model": PolicyDetail}, **responses(401, 404, 422)})
async def get_policy(request: Request, user: Annotated[User, Depends(current_user)], policy_id: str,
                     on: OnDate = None) -> Response:
    """One policy with the criteria of the version in force on the date (else of its latest version)."""
    policies: PolicySet = request.app.state.store.policies
    if policy_id not in policies.versions:
        raise not_found(f"policy {policy_id[:100]!r}")
    day = on or dt.datetime.now(dt.UTC).date()
    chosen = policies.in_force(policy_id, day) or policies.latest(policy_id)
    out = _summary(policies, policy_id, day)
    out["policy"] = chosen.model_dump(mode="json", by_alias=True, exclude_none=True)
    return Response(dumps(out), media_type="application/json")


@router.get("/healthz", response_model=None, responses={200: {"model": Health}, **responses(503)})
async def healthz(request: Request) -> Response:
    """Liveness and readiness: the database answers and the policies are loaded. No token needed."""
    store = request.app.state.store

    def ping() -> None:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
    except Exception:  # noqa: BLE001 - reported as unavailable, never with details
        raise Problem(503, "unavailable", "the database does not answer") from None
    return Response(dumps({"status": "ok", "database": "ok", "policies": len(store.policies.ids),
                                "version": __version__}), media_type="application/json")
