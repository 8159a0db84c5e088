"""The PAS requests: submit ($submit) and inquire ($inquire), each answered with the ClaimResponse built from the
case's current determinations and reviews.

A request is known by its Claim's identifier within the submitting organization. The first Bundle for an
identifier creates the case (when a policy here governs it); a later Bundle with the same identifier is more
documentation: the case gets a new revision and is re-evaluated. Every Bundle is kept as received. Errors are found
before anything is written (the mapping runs first), so a refused Bundle leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from priorauth.errors import FhirError
from priorauth.intake.fhir import read_fhir
from priorauth.intake.fhir.claim_response import FinalReview, response_bundle, review_action
from priorauth.intake.fhir.to_case import FhirMapping, map_fhir
from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.store import models as m
from priorauth.service.store.db import reading, writing
from priorauth.service.workflow import cases
from priorauth.service.workflow.errors import Refused, not_found
from priorauth.service.workflow.evaluation import evaluate
from priorauth.service.workflow.state import Store

MAX_KEY = 500  # `system|value` of the Claim's identifier, as fhir_requests.identifier holds it

# Claim.item certificationType (X12 1322) codes that change an earlier request instead of asking anew.
CHANGES = {"3": "a cancellation", "S": "a revision of an earlier request"}


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused("malformed-json", f"the body is not valid JSON: {exc}", "(body)") from None


def _request_input(store: Store, body: bytes, operation: str):
    inp = read_fhir(_parse(body))
    if inp.kind != "request" or inp.claim is None:
        raise FhirError([("Bundle", f"{operation} takes a PAS request Bundle (a Claim first), not {inp.shape}")])
    return inp


def identifiers(claim: dict[str, Any]) -> list[str]:
    """The Claim's identifiers as `system|value` (the first is the request's key)."""
    out = [f"{i.get('system') or ''}|{i['value']}" for i in claim.get("identifier") or []
           if isinstance(i, dict) and isinstance(i.get("value"), str)]
    return out or ([f"Claim|{claim['id']}"] if isinstance(claim.get("id"), str) else [])


def _certification(extensions: Any) -> str | None:
    for ext in extensions or []:
        if isinstance(ext, dict) and str(ext.get("url", "")).endswith("/extension-certificationType"):
            return ((ext.get("valueCodeableConcept") or {}).get("coding") or [{}])[0].get("code")
    return None


def _original(inp: Any) -> Any:
    """The Claim a PAS Claim Update updates (its Claim.related.claim, in the Bundle: document.py checks), or None."""
    others = [r for r in inp.resources if r.type == "Claim" and r is not inp.claim]
    return others[0] if others else None


def _changes(claim: dict[str, Any], root: str, original: Any) -> None:
    """A change of an earlier request comes as a PAS Claim Update, with the Claim it updates in the same Bundle."""
    if claim.get("related") and original is None:
        raise FhirError([(f"{root}.related", "the Claim this one updates (Claim.related.claim) must be in the "
                          "Bundle, as a PAS Claim Update carries it")])
    if original is not None:
        return
    if _certification(claim.get("extension")) in CHANGES:
        raise FhirError([(f"{root}.extension[certificationType]", "a cancellation changes an earlier request: "
                          "send it as a Claim Update (Claim.related.claim and the Claim it updates)")])
    for k, item in enumerate(claim.get("item") or []):
        code = _certification(item.get("extension")) if isinstance(item, dict) else None
        if code in CHANGES:
            raise FhirError([(f"{root}.item[{k}].extension[certificationType]",
                              f"certificationType {code} ({CHANGES[code]}) changes an earlier request: send it "
                              "as a Claim Update (Claim.related.claim and the Claim it updates)")])


def submit(store: Store, user: User, body: bytes) -> str:
    """Store a PAS request Bundle (a new request, a resubmission, or a Claim Update of an earlier one) and answer
    it: the response Bundle as JSON."""
    inp = _request_input(store, body, "$submit")
    original = _original(inp)
    _changes(inp.claim.data, inp.claim.root, original)
    keys = identifiers(inp.claim.data)
    if not keys:
        raise FhirError([(f"{inp.claim.root}.identifier", "the Claim has no identifier: a request needs one")])
    if len(keys[0]) > MAX_KEY or not keys[0].isprintable():  # it is stored and looked up as the request's key
        raise FhirError([(f"{inp.claim.root}.identifier[0]",
                          f"system and value: at most {MAX_KEY} printable characters")])
    lookup = [k for k in (identifiers(original.data) if original else []) + keys
              if len(k) <= MAX_KEY and k.isprintable()]
    with reading(store.engine) as conn:
        row = _find(conn, user.org, lookup)
    if original is not None and row is None:
        raise FhirError([(f"{inp.claim.root}.related", "this Claim Update updates a request this organization has "
                          "not submitted here")])
    if row is not None and row.status == "cancelled":
        raise FhirError([(inp.claim.root, "the request was cancelled: submit a new request")])
    if original is not None and _certification(inp.claim.data.get("extension")) == "3":
        return _cancel(store, user, row, keys[0], body.decode("utf-8"))
    mapping = map_fhir(inp, store.compiled.knowledge, store.compiled.payer_names)
    text = body.decode("utf-8")
    case_row = None
    if mapping.case is not None and row is not None and row.case_id is not None:
        with reading(store.engine) as conn:  # a Claim Update may carry a new identifier: the case keeps its own
            case_row = cases.find(conn, row.case_id)
        if mapping.case.id != case_row.ref:
            mapping = dataclasses.replace(mapping, case=mapping.case.model_copy(update={"id": case_row.ref}))
    if mapping.case is not None:
        cases.check_ref(mapping.case)
    results = evaluate(mapping.case, store.compiled, evidence=mapping.evidence) if mapping.case is not None else []
    try:
        with writing(store.engine) as conn:  # the case and the request together, or neither
            case_id = row.case_id if row is not None else None
            if mapping.case is not None:
                case_text = json.dumps(mapping.to_dict()["case"])
                if case_row is not None:
                    cases.reevaluate(conn, user, case_row, mapping.case, case_text, results)
                else:
                    case_id, details = cases.create(conn, user, mapping.case, case_text, results)
                    chain.append(conn, user.name, user.role, "case.create", case_id,
                                 details | {"idempotency_key": False})
            answer = _store_submission(conn, store, user, row, keys[0], case_id, text, mapping)
    except IntegrityError:  # the same identifier submitted twice at once: the first one won
        raise Refused("conflict", "a request with this Claim identifier was stored at the same moment: resubmit it "
                      "to add to that request", "Claim.identifier") from None
    if case_row is not None:  # new documentation re-decided the request: its subscribers hear of it
        from priorauth.service.workflow.subscriptions import notify_case

        notify_case(store, case_id)
    return json.dumps(answer["bundle"])


def _store_submission(conn: Any, store: Store, user: User, row: Any, key: str, case_id: str | None, text: str,
                      mapping: FhirMapping) -> dict[str, Any]:
    at = m.now()
    if row is None:
        request_id, revision = uuid.uuid4().hex, 1
        conn.execute(insert(m.fhir_requests).values(
            id=request_id, org=user.org, identifier=key, case_id=case_id, revision=1, status="active",
            created_by=user.name, created_at=at, updated_at=at))
    else:
        request_id, revision = row.id, row.revision + 1
        conn.execute(update(m.fhir_requests).where(m.fhir_requests.c.id == row.id)
                     .values(revision=revision, case_id=case_id, updated_at=at))
    chain.touch(conn, m.fhir_requests, id=request_id)
    _remember(conn, user.org, key, request_id)
    digest = chain.sha256_text(text)
    conn.execute(insert(m.fhir_bundles).values(request_id=request_id, revision=revision, body=text,
                                               body_sha256=digest, created_by=user.name, created_at=at))
    chain.touch(conn, m.fhir_bundles, request_id=request_id, revision=revision)
    answer = _answer(conn, store, request_id, mapping)
    chain.append(conn, user.name, user.role, "fhir.submit", case_id, {
        "request": request_id, "revision": revision, "bundle_sha256": digest,
        "review_action": answer["action"], "not_applicable": mapping.case is None})
    return answer


def _find(conn: Any, org: str | None, keys: list[str]) -> Any:
    """The request of `org` known by any of these identifiers (the oldest, should two match)."""
    if not keys:
        return None
    ids = select(m.fhir_identifiers.c.request_id).where(m.fhir_identifiers.c.org == (org or ""),
                                                        m.fhir_identifiers.c.identifier.in_(keys))
    return conn.execute(select(m.fhir_requests).where(m.fhir_requests.c.id.in_(ids))
                        .order_by(m.fhir_requests.c.created_at)).first()


def _remember(conn: Any, org: str | None, key: str, request_id: str) -> None:
    known = conn.execute(select(m.fhir_identifiers.c.request_id).where(
        m.fhir_identifiers.c.org == (org or ""), m.fhir_identifiers.c.identifier == key)).first()
    if known is None:
        conn.execute(insert(m.fhir_identifiers).values(org=org or "", identifier=key, request_id=request_id))
        chain.touch(conn, m.fhir_identifiers, org=org or "", identifier=key)


def _cancel(store: Store, user: User, row: Any, key: str, text: str) -> str:
    """A Claim Update cancelling the whole request: kept as received, the request cancelled, every item C."""
    at = m.now()
    with writing(store.engine) as conn:
        revision = row.revision + 1
        conn.execute(update(m.fhir_requests).where(m.fhir_requests.c.id == row.id)
                     .values(revision=revision, status="cancelled", updated_at=at))
        chain.touch(conn, m.fhir_requests, id=row.id)
        _remember(conn, user.org, key, row.id)
        digest = chain.sha256_text(text)
        conn.execute(insert(m.fhir_bundles).values(request_id=row.id, revision=revision, body=text,
                                                   body_sha256=digest, created_by=user.name, created_at=at))
        chain.touch(conn, m.fhir_bundles, request_id=row.id, revision=revision)
        answer = _answer(conn, store, row.id)
        chain.append(conn, user.name, user.role, "fhir.cancel", row.case_id,
                     {"request": row.id, "revision": revision, "bundle_sha256": digest})
    return json.dumps(answer["bundle"])


def inquire(store: Store, user: User, body: bytes) -> str:
    """The current response for an earlier request, found by its Claim identifier: a Parameters with the response
    Bundle (none when no request of the caller's organization has that identifier)."""
    inp = _request_input(store, body, "$inquire")
    keys = [k for k in identifiers(inp.claim.data) if len(k) <= MAX_KEY and k.isprintable()]  # as stored
    with writing(store.engine) as conn:
        found = conn.execute(select(m.fhir_identifiers.c.request_id).where(
            m.fhir_identifiers.c.identifier.in_(keys))).scalars().all() if keys else []
        rows = conn.execute(select(m.fhir_requests).where(m.fhir_requests.c.id.in_(found))
                            .order_by(m.fhir_requests.c.created_at)).all() if found else []
        row = next((r for r in rows if user.sees(r.org)), None)
        params: list[dict[str, Any]] = []
        if row is not None:
            answer = _answer(conn, store, row.id)
            params.append({"name": "responseBundle", "resource": answer["bundle"]})
        chain.append(conn, user.name, user.role, "fhir.inquire", row.case_id if row else None,
                     {"request": row.id if row else None, "found": row is not None})
    return json.dumps({"resourceType": "Parameters", "parameter": params})


def response_for_case(store: Store, case_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(organization, response Bundle) of each PAS request of a case: what its subscribers are sent."""
    with reading(store.engine) as conn:
        rows = conn.execute(select(m.fhir_requests).where(m.fhir_requests.c.case_id == case_id)).all()
        return [(r.org, _answer(conn, store, r.id)["bundle"]) for r in rows]


def _answer(conn, store: Store, request_id: str, mapping: FhirMapping | None = None) -> dict[str, Any]:
    """The response Bundle for a stored request, from its latest Bundle, its case's latest determinations and the
    reviews of those determinations."""
    row = conn.execute(select(m.fhir_requests).where(m.fhir_requests.c.id == request_id)).first()
    if row is None:
        raise not_found(f"request {request_id!r}")
    cancelled = row.status == "cancelled"
    if mapping is None:
        bodies = conn.execute(select(m.fhir_bundles.c.body).where(m.fhir_bundles.c.request_id == request_id)
                              .order_by(m.fhir_bundles.c.revision.desc())).scalars().all()
        body = bodies[1] if cancelled and len(bodies) > 1 else bodies[0]  # a cancellation may carry no items
        mapping = map_fhir(read_fhir(json.loads(body)), store.compiled.knowledge, store.compiled.payer_names)
    results, review, when = [], None, row.updated_at
    if row.case_id is not None:
        case = conn.execute(select(m.cases).where(m.cases.c.id == row.case_id)).one()
        dets = conn.execute(select(m.determinations).where(m.determinations.c.case_id == row.case_id,
                                                           m.determinations.c.revision == case.revision)
                            .order_by(m.determinations.c.id)).all()
        results = [json.loads(d.result) for d in dets]
        final = conn.execute(select(m.reviews).where(m.reviews.c.determination_id.in_([d.id for d in dets]))
                             .order_by(m.reviews.c.id.desc())).first() if dets else None
        if final is not None and final.decision in ("approve", "deny"):
            review = FinalReview(final.decision, final.reviewer, final.created_at)
        when = max(when, case.updated_at)
    bundle = response_bundle(mapping, results, response_id=request_id, created=_utc(when), review=review,
                             cancelled=cancelled)
    action = "C" if cancelled else review_action(results, review) if mapping.case else "NA"
    return {"bundle": bundle, "action": action}


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(microsecond=0)
