"""The words every layer shares, defined once: decisions, verdicts, explain levels, request facts, review states.

The case model, the policy format, the engine, the renderers and the service all import these; a new
value (a route, a line of business) is added here and nowhere else. Payers are not listed: the loaded
policy set says which payers exist.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

# --- what the engine answers, per policy --------------------------------------------------------
Decision = Literal["approve", "deny", "pend", "refer", "not_applicable"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)

# How a decision reads to a person (CLI, service, letters).
DECISION_TEXT: dict[str, str] = {
    "approve": "approve",
    "deny": "deny (recommendation for clinical review)",
    "pend": "pend: request documentation",
    "refer": "refer for manual review",
    "not_applicable": "not applicable",
}
# Decisions that wait for a clinical reviewer: the engine never finalizes them.
REVIEW_REQUIRED_DECISIONS: frozenset[str] = frozenset({"deny", "refer"})
REVIEW_NOTICE = ("Recommendation only: an adverse outcome must be reviewed and finalized by a clinical "
                 "reviewer; the engine never issues a denial on its own.")

# --- three-valued verdicts of criteria ----------------------------------------------------------
Verdict = Literal["met", "not_met", "unknown"]
MET: Verdict = "met"
NOT_MET: Verdict = "not_met"
UNKNOWN: Verdict = "unknown"
VERDICTS: tuple[Verdict, ...] = (MET, NOT_MET, UNKNOWN)
# A criterion whose `when` does not hold for the request is not evaluated at all: it is neither met,
# not met nor unknown, and groups ignore it. It is a node status, not a fourth truth value.
SKIPPED: Literal["not_applicable"] = "not_applicable"
NodeStatus = Literal["met", "not_met", "unknown", "not_applicable"]
NODE_STATUSES: tuple[NodeStatus, ...] = get_args(NodeStatus)


class Explain(StrEnum):
    """How much of the criteria tree a rendering shows (like `opa eval --explain`)."""

    summary = "summary"  # the decision, reasons and requests; no tree
    fails = "fails"  # the not-met and unknown branches only
    full = "full"  # every node


# --- the request ----------------------------------------------------------------------------------
RequestKind = Literal["trial", "implant", "refill", "replacement", "revision", "removal"]
REQUEST_KINDS: tuple[RequestKind, ...] = get_args(RequestKind)
Indication = Literal["cancer_pain", "noncancer_pain", "spasticity"]
INDICATIONS: tuple[Indication, ...] = get_args(Indication)
Route = Literal["intrathecal", "epidural"]
ROUTES: tuple[Route, ...] = get_args(Route)
# medicare: Original Medicare (fee-for-service, CMS the payer); medicare-advantage: a plan's Medicare Part C.
LineOfBusiness = Literal["commercial", "medicaid", "medicare", "medicare-advantage", "fep"]
LINES_OF_BUSINESS: tuple[LineOfBusiness, ...] = get_args(LineOfBusiness)
# A payer is named by the slug of its policies' `payer:`; which slugs exist is the policy set's to say.
PAYER_PATTERN = r"^[a-z0-9][a-z0-9\-]*$"

# --- the service's review workflow ---------------------------------------------------------------
ReviewStatus = Literal["review_required", "documentation_requested", "decided"]
REVIEW_STATUSES: tuple[ReviewStatus, ...] = get_args(ReviewStatus)
# What a reviewer may record as the final decision.
ReviewDecision = Literal["approve", "deny", "pend"]


# What a reviewer needs for a request a policy states no criteria for (it is referred for manual review). Our
# words, not a policy's: the record shows them as priorauth's own checklist, never as a quoted criterion.
REVIEW_NEEDS_SECTION = "priorauth: what the reviewer will need (the policy states no criteria for this request)"
REVIEW_NEEDS: dict[str, tuple[str, ...]] = {
    "refill": (
        "The pump in place: implant date, pump make and model, and that it works as programmed.",
        "Each drug with its concentration and daily dose, and any change from the last refill.",
        "The date of the last refill and the reservoir volume (the refill interval).",
        "The treating physician's note on the current response to the therapy.",
    ),
    "replacement": (
        "Why the pump is replaced: end of battery life, malfunction, or another reason, with the device check.",
        "The pump in place (implant date, make and model) and the one proposed.",
        "The current response to the therapy and the drugs and doses it delivers.",
    ),
    "revision": (
        "What is revised (catheter, pump pocket, pump) and why, with the imaging or device check that shows it.",
        "The pump in place (implant date, make and model) and the current drugs and doses.",
    ),
    "removal": (
        "Why the pump is removed (infection, malfunction, no longer needed, the member's choice).",
        "The plan for the pain or spasticity after removal, including withdrawal management.",
    ),
    "trial": ("The trial's plan: drug, dose, route and the inpatient or observation stay.",),
    "implant": ("The trial's documented results: pain scores or spasticity before and after, and side effects.",),
}
