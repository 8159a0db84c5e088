"""Whether a note is about our therapy at all: a note about another device yields nothing, even when a relative's
intrathecal pump is named in it; the member's own intrathecal care beside another device still counts."""

from __future__ import annotations

import datetime as dt

from priorauth.evidence.extractor import extract_note

DAY = dt.date(2026, 2, 10)

INSULIN_PUMP = """Endocrine clinic. Type 1 diabetes on an insulin pump for 9 years, switching to a patch pump.
Denies alcohol or drug use. PHQ-2 negative. No signs of infection at the infusion sites.
Family history: father has an intrathecal baclofen pump for spasticity.
Plan: 3-day trial of the new pump; she wishes to proceed."""


def test_a_relatives_intrathecal_pump_does_not_make_an_insulin_pump_note_ours():
    note = extract_note(INSULIN_PUMP, DAY)
    assert not note.relevant and note.facts == ()


def test_a_relative_named_in_a_line_of_its_own_does_not_hide_the_members_care():
    text = ("Failed spinal cord stimulator in 2022. Her son drives her to clinic.\n"
            "Intrathecal morphine trial on 01/20/2026 gave 60% relief.")
    note = extract_note(text, DAY)
    assert note.relevant
    assert any(f.path == "clinical.trial_result.pain_reduction_percent" and f.value == 60 for f in note.facts)


ON_Q = """Post-op day 1 after right shoulder arthroplasty. The On-Q pain pump is running; catheter site clean.
Ambulated 200 ft with PT. OT for ADLs. Denies alcohol or drug use.
She asked whether her neighbor's pump in the spine for back pain is the same: explained that is an intrathecal pump."""


def test_a_neighbours_intrathecal_pump_does_not_make_an_on_q_note_ours():
    note = extract_note(ON_Q, DAY)
    assert not note.relevant and note.facts == ()
