"""The /fhir endpoints: Da Vinci PAS `Claim/$submit` and `Claim/$inquire`, pended-update Subscriptions, and the
CapabilityStatement. FHIR JSON in and out (`application/fhir+json`); errors are OperationOutcomes (guard.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from priorauth import __version__
from priorauth.service.auth.users import SUBMITTER, User
from priorauth.service.http.body import read_body
from priorauth.service.http.routes import AnyUser, dumps, role, store_of
from priorauth.service.workflow import fhir, subscriptions

router = APIRouter(prefix="/fhir", tags=["FHIR (Da Vinci PAS)"])
FHIR_JSON = "application/fhir+json"
PAS_IG = "http://hl7.org/fhir/us/davinci-pas/ImplementationGuide/hl7.fhir.us.davinci-pas"
BUNDLE_BODY = {"requestBody": {"required": True, "description": "A PAS request Bundle (the Claim first), FHIR R4",
                               "content": {FHIR_JSON: {"schema": {"type": "object"}}}}}


def fhir_responses(ok: int, *codes: int) -> dict[int | str, dict]:
    """OpenAPI entries: the FHIR resource answered, and the OperationOutcome of each refusal."""
    described = {400: "Malformed JSON", 401: "Missing or invalid bearer token", 403: "Not allowed for this role",
                 404: "Not found", 413: "Body too large", 415: "Not JSON", 422: "Not a processable PAS request: "
                 "each issue's expression names the element (FHIRPath)"}
    resource = {"content": {FHIR_JSON: {"schema": {"type": "object"}}}}
    return {ok: {"description": "FHIR resource", **resource},
            **{c: {"description": f"OperationOutcome: {described[c]}", **resource} for c in codes}}


def _fhir(content: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(content, status_code=status, media_type=FHIR_JSON, headers=headers)


def capability_statement() -> dict:
    """What this server does, and only that."""
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2026-12-01", "kind": "instance",
        "software": {"name": "priorauth", "version": __version__},
        "implementation": {"description": "priorauth: prior authorization for intrathecal and epidural drug "
                                          "delivery, decided by explained payer policies"},
        "fhirVersion": "4.0.1", "format": [FHIR_JSON, "json"], "implementationGuide": [f"{PAS_IG}|2.2.1"],
        "rest": [{
            "mode": "server",
            "documentation": "Decisions cover intrathecal and epidural drug delivery (trial, implant, refill, "
                             "replacement, revision, removal) under the loaded payer policies; any other service "
                             "is answered as needing no review (X12 306 NA). A recommended denial is pended (A4) "
                             "until a clinical reviewer finalizes it. Updates and cancellations come as PAS Claim "
                             "Updates (Claim.related.claim, the updated Claim in the Bundle); a resubmission with "
                             "the same identifier is decided again.",
            "security": {"description": "Authorization: Bearer TOKEN (priorauth users add); $submit and "
                                        "Subscription need the submitter role"},
            "resource": [
                {"type": "Claim", "operation": [
                    {"name": "submit", "definition": "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/"
                                                     "Claim-submit"},
                    {"name": "inquire", "definition": "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/"
                                                      "Claim-inquiry"}]},
                {"type": "Subscription", "interaction": [{"code": "create"}, {"code": "read"}],
                 "supportedProfile": ["http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription"]},
            ],
        }],
    }


@router.get("/metadata", response_model=None, responses=fhir_responses(200))
async def metadata() -> Response:
    """The CapabilityStatement (no token needed, as FHIR clients expect)."""
    return _fhir(dumps(capability_statement()))


@router.post("/Claim/$submit", openapi_extra=BUNDLE_BODY, response_model=None,
             responses=fhir_responses(200, 400, 401, 403, 413, 415, 422))
async def claim_submit(request: Request, user: Annotated[User, Depends(role(SUBMITTER))]) -> Response:
    """Submit a PAS request Bundle; the answer is the PAS response Bundle (ClaimResponse first)."""
    body = await read_body(request)
    return _fhir(await run_in_threadpool(fhir.submit, store_of(request), user, body))


@router.post("/Claim/$inquire", openapi_extra=BUNDLE_BODY, response_model=None,
             responses=fhir_responses(200, 400, 401, 413, 415, 422))
async def claim_inquire(request: Request, user: AnyUser) -> Response:
    """The current response to an earlier request (by its Claim identifier), as a Parameters resource."""
    body = await read_body(request)
    return _fhir(await run_in_threadpool(fhir.inquire, store_of(request), user, body))


@router.post("/Subscription", status_code=201, response_model=None, responses=fhir_responses(201, 400, 401, 403, 413,
                                                                                           415, 422),
             openapi_extra={"requestBody": {"required": True, "content": {FHIR_JSON: {"schema": {"type": "object"}}}}})
async def subscription_create(request: Request, user: Annotated[User, Depends(role(SUBMITTER))]) -> Response:
    """Subscribe (R5 backport, rest-hook, full-resource) to the PAS topic: when a pended request of your
    organization is decided, the endpoint receives a notification Bundle with the full response Bundle."""
    body = await read_body(request)
    created = await run_in_threadpool(subscriptions.create, store_of(request), user, body)
    return _fhir(dumps(created), 201, {"Location": f"/fhir/Subscription/{created['id']}"})


@router.get("/Subscription/{subscription_id}", response_model=None, responses=fhir_responses(200, 401, 404))
async def subscription_read(request: Request, user: AnyUser, subscription_id: str) -> Response:
    return _fhir(dumps(await run_in_threadpool(subscriptions.read, store_of(request), user, subscription_id)))
