"""Request and response models of the API (strict and closed on input, documentation on output)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from priorauth.vocab import PAYER_PATTERN, ReviewDecision, ReviewStatus

Status = ReviewStatus
Payer = Annotated[str, StringConstraints(pattern=PAYER_PATTERN, max_length=64)]  # which exist: the policy set's


def _storable(value: str) -> str:
    """Text a database can hold: no NUL or other control characters but tab and newlines, no lone surrogates."""
    for ch in value:
        if ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise ValueError(f"control character U+{ord(ch):04X} is not allowed")
    return value


Text = Annotated[str, AfterValidator(_storable)]


class ReviewIn(BaseModel):
    """A clinical reviewer's final decision on one policy's latest determination.

    A `deny` must cite at least one criterion the determination found not met: list them in `criteria`,
    or name them (by id) in the rationale.
    """

    model_config = ConfigDict(strict=True, extra="forbid")
    policy: Text = Field(min_length=1, max_length=100, description="policy id, e.g. hcsc-sur707-008")
    decision: ReviewDecision
    rationale: Text = Field(min_length=1, max_length=20_000)
    criteria: list[Text] | None = Field(default=None, max_length=100,
                                       description="criterion ids the decision rests on (not met ones for a deny)")


class Review(BaseModel):
    id: int
    determination_id: int
    policy: str
    decision: str
    rationale: str
    criteria: list[str]
    reviewer: str
    created_at: str


class ReviewOut(Review):
    case: str
    review_status: str
    case_status: Status
    case_version: int


class Determinations(BaseModel):
    """As `priorauth check --format json` prints one case."""

    case: str
    determinations: list[dict[str, Any]]


class PolicyDecision(BaseModel):
    decision: str
    review_status: str
    final_decision: str | None


class CaseSummary(BaseModel):
    id: str
    case: str = Field(description="the case document's own id")
    org: str | None
    payer: str | None
    status: Status
    version: int
    revision: int
    created_by: str
    created_at: str
    updated_at: str
    policies: dict[str, PolicyDecision]


class CaseView(CaseSummary):
    determinations: list[dict[str, Any]] = Field(
        description="latest determinations, each as the CLI prints it plus determination_id, revision, "
        "evaluated_at, review_status, final_decision, review")
    history: list[dict[str, Any]] = Field(description="earlier determinations (kept, never changed)")
    reviews: list[Review]
    document: dict[str, Any] = Field(description="the latest case document")


class CaseList(BaseModel):
    items: list[CaseSummary]
    page: int
    per_page: int
    total: int
    pages: int


class AuditEvent(BaseModel):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    case: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    events: list[AuditEvent]
    page: int
    per_page: int
    total: int


class PolicyVersion(BaseModel):
    version: str
    effective: str
    end: str | None
    content_sha256: str | None


class PolicySummary(BaseModel):
    id: str
    payer: str
    payer_name: str
    number: str
    title: str
    in_force: str | None = Field(description="the version in force on the given date, if any")
    versions: list[PolicyVersion]


class PolicyDetail(PolicySummary):
    policy: dict[str, Any] | None = Field(description="the version in force (else the latest), with its criteria")


class Health(BaseModel):
    status: str
    database: str
    policies: int
    version: str
