"""The review rules, without the database: review and case status, what a review may finalize and cite.

Per policy, the latest determination's state: a reviewer's final decision if one was recorded; else an
engine `approve` stands, `not_applicable` needs nothing, `pend` waits for documentation, and `deny` or
`refer` wait for a clinical reviewer (the engine never finalizes a denial). The case status is
`review_required` if any policy waits for a reviewer, else `documentation_requested` if any waits for
documentation, else `decided`.

A reviewer finalizes one policy's latest determination, once, and only if the policy applies. A `deny`
must cite at least one criterion that the determination found not met, named in `criteria` or by id in
the rationale; other decisions may cite any criterion of the determination.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from priorauth.service.workflow.errors import Refused
from priorauth.service.workflow.evaluation import criteria_ids, not_met_criteria
from priorauth.vocab import REVIEW_REQUIRED_DECISIONS, REVIEW_STATUSES

REVIEW_REQUIRED, DOCUMENTATION_REQUESTED, DECIDED = REVIEW_STATUSES
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


class ReviewRequest(Protocol):
    """What a reviewer asks for; http's ReviewIn is one (validated strictly there)."""

    @property
    def policy(self) -> str: ...

    @property
    def decision(self) -> str: ...

    @property
    def rationale(self) -> str: ...

    @property
    def criteria(self) -> list[str] | None: ...


def review_state(engine_decision: str, review_decision: str | None) -> tuple[str, str | None]:
    """(review status, final decision) of one determination."""
    if review_decision is not None:
        state = DOCUMENTATION_REQUESTED if review_decision == "pend" else "reviewed"
        return state, review_decision
    if engine_decision in REVIEW_REQUIRED_DECISIONS:
        return REVIEW_REQUIRED, None
    if engine_decision == "pend":
        return DOCUMENTATION_REQUESTED, None
    if engine_decision == "approve":
        return "no_review_needed", "approve"
    return "no_review_needed", None


def case_status(states: list[str]) -> str:
    if REVIEW_REQUIRED in states:
        return REVIEW_REQUIRED
    if DOCUMENTATION_REQUESTED in states:
        return DOCUMENTATION_REQUESTED
    return DECIDED


def status_of(decisions: list[tuple[str, str | None]]) -> str:
    """Case status from (engine decision, review decision or None) of the latest determinations."""
    return case_status([review_state(e, r)[0] for e, r in decisions])


def reviewable(latest: list[Any], reviewed: dict[int, str], policy: str) -> Any:
    """The latest determination of `policy` (a row), refused unless it applies and is not yet finalized.

    `reviewed` maps determination ids to their recorded review decision.
    """
    det = next((d for d in latest if d.policy_id == policy), None)
    if det is None:
        known = ", ".join(d.policy_id for d in latest)
        raise Refused("invalid-request", f"no determination for {policy[:100]!r} in this case "
                      f"(policies: {known})", "policy")
    if det.decision == "not_applicable":
        raise Refused("invalid-request", f"{det.policy_id} does not apply to this case: nothing to review",
                      "policy")
    if det.id in reviewed:
        raise Refused("already-finalized", f"the {det.policy_id} determination {det.id} is already "
                      "finalized; new documentation makes a new determination to review")
    return det


def cited_in(rationale: str, candidates: list[str]) -> list[str]:
    """Criterion ids named in free text (whole tokens; a trailing full stop is punctuation)."""
    tokens = set()
    for t in _TOKEN.findall(rationale):
        tokens.add(t)
        tokens.add(t.rstrip(".-"))
    return [c for c in candidates if c in tokens]


def citations(request: ReviewRequest, result: dict[str, Any]) -> list[str]:
    """The criteria a review of the determination `result` cites, refused if it may not cite them."""
    not_met = not_met_criteria(result)
    if request.criteria is not None:
        allowed = not_met if request.decision == "deny" else sorted(criteria_ids(result))
        for i, cid in enumerate(request.criteria):
            if cid not in allowed:
                what = "a not-met criterion" if request.decision == "deny" else "a criterion"
                raise Refused("invalid-request", f"{cid[:100]!r} is not {what} of the {result['policy']} "
                              f"determination (not met: {', '.join(not_met) or 'none'})", f"criteria[{i}]")
        cited = list(dict.fromkeys(request.criteria))
    else:
        cited = cited_in(request.rationale, not_met)
    if request.decision == "deny" and not cited:
        if not not_met:
            raise Refused("invalid-request", f"the {result['policy']} determination has no criterion "
                          "documented as not met, so it cannot be denied", "decision")
        raise Refused("invalid-request", "a denial must cite at least one not-met criterion of the "
                      f"determination: one of {', '.join(not_met)}", "criteria")
    return cited
