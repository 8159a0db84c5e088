"""The extractor interface: anything that reads a note and returns facts with spans (the shipped one is rule based;
a site may add another, an LLM's for instance, behind the same contract). Every fact is checked before it is used:
its span must lie in the note and its text be the note's text there, verbatim, and its path must be a case field
the evidence stage fills; a fact that fails is dropped and named in `NoteEvidence.dropped`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Protocol

from priorauth.evidence.model import Fact, NoteEvidence

# The case fields notes may fill (a list item as `[]`); anything else from an extractor is dropped.
PATHS = re.compile(
    r"clinical\.(?:pain_onset|pain_etiology|pathology_confirmed|life_expectancy_months|surgery_indicated|"
    r"surgery_refused|substance_use|treatments\[\]|evaluations\[\]|drug_screens\[\]|"
    r"psychiatric\.(?:active_psychosis|suicidality|untreated_major_depression|compromised_cognition|"
    r"untreated_psychosocial_issues)|"
    r"findings\.(?:active_infection|local_infection|sepsis|coagulopathy|csf_obstruction|tumor_thecal_encroachment|"
    r"increased_intracranial_pressure|insufficient_body_size|drug_allergy|device_component_allergy|"
    r"prior_implant_intolerance|other_programmable_implant)|"
    r"trial_result\.(?:date|pain_before|pain_after|pain_reduction_percent|function_improved|side_effects|"
    r"adl_improved|adl_effect|observation_days|method|patient_accepts)|"
    r"spasticity\.(?:origin|oral_baclofen_weeks|oral_response|ashworth|penn|test_dose_response))$")


class Extractor(Protocol):
    name: str

    def extract(self, text: str, note_date: dt.date) -> NoteEvidence: ...


def checked(text: str, found: NoteEvidence) -> NoteEvidence:
    """Keep the facts whose span is the note's own text and whose path the stage fills."""
    kept, dropped = [], list(found.dropped)
    for f in found.facts:
        if not (0 <= f.start < f.end <= len(text)) or text[f.start:f.end] != f.text:
            dropped.append(f"{f.rule}: {f.path}: the span {f.start}..{f.end} is not {f.text!r} in the note")
        elif not PATHS.match(f.path):
            dropped.append(f"{f.rule}: {f.path}: not a case field the notes fill")
        elif not 0 <= f.confidence <= 1:
            dropped.append(f"{f.rule}: {f.path}: confidence {f.confidence} is not between 0 and 1")
        else:
            kept.append(f)
    return NoteEvidence(tuple(kept), found.set_aside, found.relevant, tuple(dropped))


def warm_up() -> None:
    """Build the pipeline and compile the rules now (a service does at start, not on its first note)."""
    extract_note("Chronic pain; no evidence of infection.", dt.date(2000, 1, 1))


def default_extractors() -> tuple[Extractor, ...]:
    from priorauth.evidence.rule_based import RuleBasedExtractor

    return (RuleBasedExtractor(),)


def extract_note(text: str, note_date: dt.date, extractors: Sequence[Extractor] | None = None) -> NoteEvidence:
    """Every extractor's checked facts for one note, in text order (the same fact from two extractors once)."""
    results = [checked(text, e.extract(text, note_date)) for e in (extractors or default_extractors())]
    facts: dict[tuple[str, str, int, int], Fact] = {}
    for r in results:
        for f in r.facts:
            facts.setdefault((f.path, repr(f.value), f.start, f.end), f)
    return NoteEvidence(tuple(sorted(facts.values(), key=lambda f: (f.start, f.end))),
                        tuple(s for r in results for s in r.set_aside),
                        any(r.relevant for r in results), tuple(d for r in results for d in r.dropped))

