"""PAS pended-update subscriptions (FHIR R4, the R5 Subscriptions backport): a submitter's rest-hook endpoint gets
a notification Bundle, with the full response Bundle, whenever a request of its organization is decided again (a
reviewer finalizes it, or new documentation re-evaluates it).

A new subscription is checked with a handshake (the backport's `handshake` notification, no resources) before it is
answered: a 2xx makes it `active`, anything else `error` (stored, and said in the answer, but never notified).
Notifications are sent after the change is committed, from a background thread, so a slow or absent receiver never
holds up the reviewer; a failed delivery is retried (RETRY_DELAYS_S), and each attempt is an audit event
(subscription, event number, HTTP status: no PHI).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlparse

from pydantic import ValidationError
from sqlalchemy import insert, select, update

from priorauth.errors import FhirError
from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.store import models as m
from priorauth.service.store.db import reading, writing
from priorauth.service.workflow.errors import Refused, not_found
from priorauth.service.workflow.state import Store

TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
TIMEOUT_S = 10
RETRY_DELAYS_S = (1.0, 5.0)  # after a failed delivery (no answer, or not 2xx): two more attempts


def create(store: Store, user: User, body: bytes) -> dict[str, Any]:
    sub = _checked(body)
    channel = sub["channel"]
    headers = channel.get("header") or []
    sid, at = uuid.uuid4().hex, m.now()
    header = json.dumps(headers[:1]) if headers else None
    http_status = _post(channel["endpoint"], header, _status_bundle(sid, "handshake", 0, "requested", None, at))
    status = "active" if http_status is not None and 200 <= http_status < 300 else "error"
    with writing(store.engine) as conn:
        conn.execute(insert(m.fhir_subscriptions).values(
            id=sid, org=user.org, endpoint=channel["endpoint"], header=header,
            status=status, events=0, created_by=user.name, created_at=at))
        chain.touch(conn, m.fhir_subscriptions, id=sid)
        chain.append(conn, user.name, user.role, "fhir.subscribe", None,
                     {"subscription": sid, "handshake_http_status": http_status, "status": status})
    return _resource(sid, channel["endpoint"], status)


def read(store: Store, user: User, sid: str) -> dict[str, Any]:
    with reading(store.engine) as conn:
        row = conn.execute(select(m.fhir_subscriptions).where(m.fhir_subscriptions.c.id == sid)).first()
    if row is None or not user.sees(row.org):
        raise not_found(f"Subscription {sid!r}")
    return _resource(row.id, row.endpoint, row.status)


def _resource(sid: str, endpoint: str, status: str) -> dict[str, Any]:
    return {"resourceType": "Subscription", "id": sid,
            "meta": {"profile": ["http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription"]},
            "status": status, "reason": "PAS pended-authorization updates", "criteria": TOPIC,
            "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": "application/fhir+json",
                        "_payload": {"extension": [{"url": f"{BACKPORT}/backport-payload-content",
                                                    "valueCode": "full-resource"}]}}}


def _checked(body: bytes) -> dict[str, Any]:
    """A PAS Subscription: the PAS topic, a rest-hook to an http(s) endpoint, full-resource JSON payloads."""
    from fhir.resources.R4B.subscription import Subscription

    try:
        sub = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused("malformed-json", f"the body is not valid JSON: {exc}", "(body)") from None
    if not isinstance(sub, dict) or sub.get("resourceType") != "Subscription":
        raise FhirError([("Subscription", "send a Subscription resource")])
    try:
        Subscription.model_validate(sub)
    except ValidationError as exc:
        raise FhirError([("Subscription." + ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
    problems = []
    if sub.get("criteria") != TOPIC:
        problems.append(("Subscription.criteria", f"the PAS topic {TOPIC}"))
    channel = sub.get("channel") or {}
    if channel.get("type") != "rest-hook":
        problems.append(("Subscription.channel.type", "only rest-hook is supported"))
    endpoint = str(channel.get("endpoint") or "")
    url = urlparse(endpoint)
    if url.scheme not in ("http", "https") or not url.netloc or len(endpoint) > 2000 or not endpoint.isprintable():
        problems.append(("Subscription.channel.endpoint", "an http or https URL"))
    if channel.get("payload") not in (None, "application/fhir+json", "application/json"):
        problems.append(("Subscription.channel.payload", "application/fhir+json"))
    content = [e.get("valueCode") for e in (channel.get("_payload") or {}).get("extension") or []
               if str(e.get("url", "")).endswith("backport-payload-content")]
    if content and content[0] != "full-resource":
        problems.append(("Subscription.channel.payload.extension[content]", "only full-resource is supported"))
    headers = channel.get("header") or []
    if any(not isinstance(h, str) or ":" not in h or not h.isprintable() or len(h) > 4000 for h in headers):
        problems.append(("Subscription.channel.header", "each header is one `Name: value` line"))
    if problems:
        raise FhirError(problems)
    return sub


def _status_bundle(sid: str, kind: str, events: int, status: str, response: dict[str, Any] | None,
                   at: Any) -> dict[str, Any]:
    """The backport's notification Bundle (`history`): the subscription status (Parameters) first, then for an
    event notification the response Bundle."""
    params: list[dict[str, Any]] = [
        {"name": "subscription", "valueReference": {"reference": f"Subscription/{sid}"}},
        {"name": "topic", "valueCanonical": TOPIC},
        {"name": "status", "valueCode": status},
        {"name": "type", "valueCode": kind},
        {"name": "events-since-subscription-start", "valueString": str(events)}]
    if response is not None:
        focus = f"ClaimResponse/{response['entry'][0]['resource']['id']}"
        params.append({"name": "notification-event", "part": [
            {"name": "event-number", "valueString": str(events)},
            {"name": "focus", "valueReference": {"reference": focus}}]})
    status_resource = {"resourceType": "Parameters", "id": uuid.uuid4().hex, "parameter": params}
    entries = [{"fullUrl": f"urn:uuid:{uuid.UUID(status_resource['id'])}", "resource": status_resource,
                "request": {"method": "GET", "url": f"Subscription/{sid}/$status"}, "response": {"status": "200"}}]
    if response is not None:
        entries.append({"fullUrl": f"urn:uuid:{uuid.UUID(response['id'][:32])}" if len(response["id"]) >= 32
                        else f"urn:uuid:{uuid.uuid4()}", "resource": response,
                        "request": {"method": "POST", "url": "Claim/$submit"}, "response": {"status": "200"}})
    stamp = response["timestamp"] if response is not None else at.isoformat(timespec="seconds")
    return {"resourceType": "Bundle", "id": uuid.uuid4().hex, "type": "history", "timestamp": stamp,
            "meta": {"profile": [f"{BACKPORT}/backport-subscription-notification-r4"]}, "entry": entries}


def notification(sid: str, events: int, response: dict[str, Any]) -> dict[str, Any]:
    """An event notification: the subscription status first, then the full response Bundle."""
    return _status_bundle(sid, "event-notification", events, "active", response, None)


def notify_case(store: Store, case_id: str, background: bool = True) -> threading.Thread | None:
    """Send the case's current responses to its organizations' subscriptions (after the change is committed)."""
    from priorauth.service.workflow.fhir import response_for_case

    with reading(store.engine) as conn:
        linked = conn.execute(select(m.fhir_requests.c.id).where(m.fhir_requests.c.case_id == case_id)).first()
    if linked is None:
        return None

    def run() -> None:
        for org, bundle in response_for_case(store, case_id):
            table = m.fhir_subscriptions
            with reading(store.engine) as conn:
                subs = conn.execute(select(table).where(table.c.org == org, table.c.status == "active")).all()
            for sub in subs:
                _deliver(store, sub, bundle, case_id)

    if not background:
        run()
        return None
    thread = threading.Thread(target=run, name="priorauth-notify", daemon=True)
    thread.start()
    return thread


def _deliver(store: Store, sub: Any, bundle: dict[str, Any], case_id: str,
             delays: tuple[float, ...] | None = None) -> None:
    with writing(store.engine) as conn:
        events = conn.execute(update(m.fhir_subscriptions).where(m.fhir_subscriptions.c.id == sub.id)
                              .values(events=m.fhir_subscriptions.c.events + 1)
                              .returning(m.fhir_subscriptions.c.events)).scalar_one()
        chain.touch(conn, m.fhir_subscriptions, id=sub.id)
        chain.append(conn, "priorauth", "system", "fhir.notify.event", case_id, {"subscription": sub.id,
                                                                                 "event": events})
    note = notification(sub.id, events, bundle)
    for attempt, delay in enumerate((0.0, *(RETRY_DELAYS_S if delays is None else delays))):
        time.sleep(delay)
        status = _post(sub.endpoint, sub.header, note)
        with writing(store.engine) as conn:
            chain.append(conn, "priorauth", "system", "fhir.notify", case_id,
                         {"subscription": sub.id, "event": events, "attempt": attempt + 1, "http_status": status})
        if status is not None and 200 <= status < 300:
            return


def _post(endpoint: str, header: str | None, bundle: dict[str, Any]) -> int | None:
    """POST a notification; the HTTP status, or None when the endpoint did not answer."""
    req = urllib.request.Request(endpoint, data=json.dumps(bundle).encode(), method="POST",
                                 headers={"Content-Type": "application/fhir+json"})
    for line in json.loads(header) if header else []:
        name, _, value = line.partition(":")
        req.add_header(name.strip(), value.strip())
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - the subscriber's own endpoint
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError, ValueError):
        return None
