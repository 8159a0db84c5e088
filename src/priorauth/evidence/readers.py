"""From a mention to a fact: one reader per kind (`read:` in rules/targets.yaml). Each returns facts and set-asides.

Shared reading (`read`): a relative's mention, a plan's (hypothetical) and an uncertain one are set aside whatever
the reader; a rule with a context (the trial, spasticity) counts only in it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from priorauth.evidence import timex
from priorauth.evidence.model import Fact, Modifier, SetAside
from priorauth.evidence.rules_data import cues

Out = list[Fact | SetAside]
_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORDS = {**_UNITS, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, **_TENS, "hundred": 100,
          "one hundred": 100, **{f"{t}{sep}{u}": _TENS[t] + _UNITS[u] for t in _TENS for u in _UNITS if u != "zero"
                                 for sep in ("-", " ")}}
SET_ASIDE_FIRST = ("family", "hypothetical", "uncertain")


def read(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    rule = m.rule
    if rule.not_negated_by:
        mods = tuple(x for x in mods if x.category != "negated" or not rule.not_negated_by.search(x.text))
    if rule.read in ("etiology", "flag") and _OBJECT_OF_HOPE.search(place.original, max(0, m.start - 60), m.start):
        # "whether a pump could help his postherpetic neuralgia": the hope is the pump's; the condition is there
        mods = tuple(x for x in mods if x.category not in ("hypothetical", "uncertain") or x.start > m.start)
    names = {x.category for x in mods} - set(rule.allow)
    for why in SET_ASIDE_FIRST:
        if why in names:
            return [_aside(m, place, why)]
    if place.section == "plan" and rule.path.startswith("clinical.trial_result") and rule.path != _ACCEPTS:
        return [_aside(m, place, "hypothetical")]  # the trial a plan describes has not happened yet (its wish has)
    if rule.context and not _in_context(rule.context, m, place):
        return [_aside(m, place, "not_in_context")]
    return READERS[rule.read](m, place, mods)


_ACCEPTS = "clinical.trial_result.patient_accepts"
_OBJECT_OF_HOPE = re.compile(r"\b(?:help|helps|benefit|relieve|treat|control|manage|address|improve|ease)\s+"
                             r"(?:his|her|their|the|this|its)\s+(?:[\w-]+\s+){0,2}$", re.I)


def _in_context(context: str, m: Any, place: Any) -> bool:
    c = cues()
    sentence = place.sentence_text
    if context == "surgery_near":  # the surgery named in the sentence or in the one before, in its paragraph
        return bool(c.contexts["surgery"].search(place.original, _sentence_before(place), place.sentence[1]))
    if context == "trial":
        # the drug-delivery trial: not a stimulator's; a sentence that names another treatment is about it
        if "drug_trial" not in place.contexts or (c.contexts["not_drug_trial"].search(sentence) and not _nearer(
                c.contexts["drug_trial"], c.contexts["not_drug_trial"], place, m)):
            return False
        clause = place.clause_text  # and a clause ("...; tizanidine caused intolerable sedation; favorable ITB bolus")
        if c.contexts["not_trial"].search(clause) and not c.contexts["trial"].search(clause) \
                and not c.contexts["drug_trial"].search(clause):
            return False
        if c.contexts["not_drug_trial"].search(place.original) and not c.contexts["drug_trial"].search(sentence) \
                and not c.contexts["drug_trial"].search(place.original[:200]):
            return False  # a stimulator's note: only a sentence that names the drug trial is about it (unless the
            # note's title says it is the drug trial's, and the stimulator is its history)
        if c.contexts["trial"].search(sentence):
            return True
        # a sentence that names no trial counts, unless it names another treatment or the note is about one (a
        # physical therapy discharge summary's pain scores are not the trial's)
        title = place.original[:200]
        other_note = c.contexts["not_trial"].search(title) and not c.contexts["trial"].search(title)
        return not other_note and (not c.contexts["not_trial"].search(sentence)
                                   or bool(c.contexts["drug_trial"].search(sentence)))  # "single intrathecal injection"
    return bool(c.contexts[context].search(sentence)) or (context in place.contexts and context not in _SENTENCE_ONLY)


_SENTENCE_ONLY = {"surgery"}  # a note names some surgery nearly always: only the mention's sentence counts
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)]{3})[.!?]\s|\n\s*\n")  # not a title's ("Ms. Doe", "Dr. Roe")


def _sentence_before(place: Any) -> int:
    """Where the sentence before the mention's starts (not before its paragraph, nor 300 characters back)."""
    a = place.sentence[0]
    ends = [e.end() for e in _SENTENCE_END.finditer(place.original, max(0, a - 300), max(0, a - 2))]
    paragraph = place.original.rfind("\n\n", 0, a)
    return max([max(0, a - 300), paragraph + 1] + ends[-1:])


def _nearer(near: re.Pattern[str], far: re.Pattern[str], place: Any, m: Any) -> bool:
    """Whether a phrase of `near` in the mention's sentence is closer to it than every phrase of `far`: in "a
    positive intrathecal morphine trial - 57% relief ... after PT, injections, SCS ... failed" the percentage is
    the drug trial's, not the stimulator's."""
    a, b = place.sentence

    def distance(rx: re.Pattern[str]) -> int:
        return min((max(f.start() - m.end, m.start - f.end(), 0) for f in rx.finditer(place.text, a, b)),
                   default=1 << 30)

    return distance(near) < distance(far)


def _fact(m: Any, place: Any, value: Any, mods: tuple[Modifier, ...] = (), path: str | None = None,
          confidence: float = 0.9, span: tuple[int, int] | None = None) -> Fact:
    start, end = span or (m.start, m.end)
    return Fact(path or m.rule.path, value, start, end, place.original[start:end], m.rule.id, mods, confidence,
                place.section)


def _aside(m: Any, place: Any, why: str) -> SetAside:
    return SetAside(m.rule.path, m.start, m.end, place.original[m.start:m.end], m.rule.id, why)


def _negated(mods: tuple[Modifier, ...]) -> bool:
    return any(x.category == "negated" for x in mods)


def _historical(mods: tuple[Modifier, ...]) -> bool:
    return any(x.category == "historical" for x in mods)


def _outside(place: Any, m: Any) -> str:
    """The clause without the mention itself (cues must come from around it)."""
    a, b = place.clause
    return place.text[a:m.start] + " " + place.text[m.end:b]


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.lower()
    if text in _WORDS:
        return float(_WORDS[text])
    try:
        return float(text)
    except ValueError:
        return None


# --- the readers --------------------------------------------------------------------------------------------------

def flag(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    rule = m.rule
    local = bool(rule.local_when and rule.local_when.search(place.sentence_text))
    if local and rule.general_when and any(x.category == "negated" and rule.general_when.fullmatch(x.text)
                                           for x in mods):
        local = bool(rule.local_when.search(place.text, m.end, place.clause[1]))
    path = "clinical.findings.local_infection" if local else None
    if _negated(mods):
        return [_fact(m, place, not rule.value, mods, path=path)]
    around = _outside(place, m)
    if rule.false_when and (_said(rule.false_when, around) or _said(rule.false_when, m.match.group(0))):
        # "history of depression, now well controlled": the span runs to what says so, where it follows closely
        cue = _cue_in_clause(rule.false_when, place, m)
        span = (m.start, cue.end()) if cue and m.end <= cue.start() <= m.end + 60 else None
        return [_fact(m, place, not rule.value, mods, path=path, span=span)]
    if _historical(mods) and rule.historical == "set_aside":
        return [_aside(m, place, "historical")]
    if rule.side_effect_when and _said(rule.side_effect_when, around):
        return [_aside(m, place, "side_effect")]
    if rule.true_when and not rule.true_when.search(around):
        return [_aside(m, place, "no_value")]
    span = None
    if rule.true_when and rule.context == "trial":  # what the member did, told: the span runs to its comparison
        found = _cue_in_clause(rule.true_when, place, m)
        span = (min(m.start, found.start()), max(m.end, found.end())) if found else None
    return [_fact(m, place, rule.value, mods, path=path, span=span)]


_DENIED = re.compile(r"(?:\b(?:not|never|poorly|inadequately|insufficiently|not well|not yet|not adequately|not being|"
                     r"has not|have not|had not|is not|was not)\s+(?:(?:currently|presently|being|yet|actively)\s+)*"
                     r"|\bun)$", re.I)  # "not currently treated"


def _said(rx: re.Pattern[str], text: str) -> bool:
    """A phrase of `rx` in `text` that is not itself denied: "not well controlled", "poorly controlled", "has not
    resolved" say the opposite of "well controlled", "controlled", "resolved"."""
    return any(not _DENIED.search(text, max(0, f.start() - 32), f.start()) for f in rx.finditer(text))


def _cue_in_clause(rx: re.Pattern[str], place: Any, m: Any) -> re.Match[str] | None:
    a, b = place.clause
    return next((f for f in rx.finditer(place.text, a, b) if not m.start <= f.start() < m.end), None)


_OWN_NEGATIVE = re.compile(r"\b(?:not|no|never|nothing|without|against|unresectable|inoperable)\b", re.I)


def choice(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    fixed = tuple(Modifier(name, m.start, m.end, place.original[m.start:m.end]) for name in m.rule.fixed_modifiers)
    # "no epidural disease, no metastases, thecal sac patent": a negation of the list before a comma is not this
    # item's (a choice states its own value)
    mods = tuple(x for x in mods if x.category != "negated" or x.start > m.start
                 or not re.search(r"[,;]", place.original[x.end:m.start]))
    # a choice that says its own negative ("is not recommending further surgery") is not undone by a negation that
    # came before it ("does not think revision would help and is not recommending ...")
    if _OWN_NEGATIVE.search(m.match.group(0)):
        mods = tuple(x for x in mods if x.category != "negated" or x.start >= m.start)
    if _negated(mods):
        return [_aside(m, place, "negated")]
    return [_fact(m, place, m.rule.value, mods + fixed)]


def number(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    if _negated(mods):
        return [_aside(m, place, "negated")]
    value = _number(m.match.groupdict().get("n"))
    if value is None:
        return [_aside(m, place, "no_value")]
    return [_fact(m, place, value, mods)]


def percent(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    value = _number(m.match.group("n"))
    if value is None or not 0 <= value <= 100 or _negated(mods):
        return [_aside(m, place, "no_value")]
    return [_fact(m, place, value, mods)]


def scores(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    a, b = _number(m.match.group("a")), _number(m.match.group("b"))
    if a is None or b is None or not (0 <= a <= 10 and 0 <= b <= 10):
        return [_aside(m, place, "no_value")]
    sa, ea = m.match.span("a")
    sb, eb = m.match.span("b")
    return [_fact(m, place, a, mods, path="clinical.trial_result.pain_before", span=(sa, _score_end(place.text, ea))),
            _fact(m, place, b, mods, path="clinical.trial_result.pain_after", span=(sb, _score_end(place.text, eb)))]


def _score_end(text: str, end: int) -> int:
    found = re.match(r"\s*/\s*10", text[end:end + 6])
    return end + found.end() if found else end


_TRIAL_TITLE = re.compile(r"\b(?:trial|test dose|bolus|screening (?:dose|injection))\b", re.I)
_LATER = re.compile(r"follow[- ]?up|post[- ]?trial|results?\b|review|summary", re.I)  # written after the trial


def trial_date(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    if m.rule.id == "trial_note_date":  # a heading's date: the note's first lines, under a title naming the trial
        head = place.original.lstrip()[:160]
        title = head.split("\n", 1)[0]
        if m.start > 300 or not _TRIAL_TITLE.search(title) or _LATER.search(title):
            return [_aside(m, place, "not_in_context")]
    found = timex.dates_in(m.match.group("date"), m.match.start("date"))
    if not found or (found[0].last - found[0].first).days > 31:
        return [_aside(m, place, "no_value")]
    d = found[0]  # a month alone ("01/2025 trial") is its last day
    return [_fact(m, place, d.last.isoformat(), mods, span=(d.start, d.end))]


def life_expectancy(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    g = m.match.groupdict()
    bound = (g.get("bound") or "").lower()
    value = 1.0 if (g.get("n") or "").lower() in ("a", "an") else _number(g.get("n"))  # "at least a year"
    if value is None or _negated(mods):
        return [_aside(m, place, "no_value")]
    if bound in ("less than", "under", "fewer than", "<", "≤", "up to"):
        return [_aside(m, place, "bound")]  # an upper bound is no estimate to measure against a minimum
    unit = g["unit"].lower()
    months = value * 12 if unit.startswith("y") else value / (52 / 12) if unit.startswith("w") else value
    return [_fact(m, place, round(months, 1) if months % 1 else int(months), mods,
                  span=(m.match.start("n") if not bound else m.match.start("bound"), m.match.end("unit")))]


def ashworth(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    n = _number(m.match.group("n"))
    if n is None or _negated(mods):
        return [_aside(m, place, "no_value")]
    sentence = place.sentence_text
    if _AFTER_DOSE.search(sentence) and not _BEFORE_DOSE.search(sentence):
        return [_aside(m, place, "after_dose")]  # "At 3 hours: Ashworth 1": the test dose's effect, not the member's
    value = n + 0.5 if m.match.group("plus") else n  # Modified Ashworth 1+ lies between 1 and 2
    end, span = m.end, None
    for item in _ASHWORTH_ITEM.finditer(place.text, m.end, place.clause[1]):  # "elbow flexors 3, hip adductors 4":
        if item.start() != end:  # the list's highest, the most affected muscles
            break
        more = float(item.group("n")) + (0.5 if item.group("plus") else 0)
        if more > value:
            value, span = more, (m.start, item.end())
        end = item.end()
    return [_fact(m, place, int(value) if value % 1 == 0 else value, mods, span=span)]


# a score the test dose brought ("4 h: tone reduced to slight catch (MAS 1+)"), unless the sentence gives the one before
_AFTER_DOSE = re.compile(r"\b(?:reduced|decreased|dropped|fell|improved) to\b|\bat \d+ ?h(?:ours?|rs?)?\b|"
                         r"(?:^|\n)\s*[-*]?\s*\d+ ?h(?:ours?|rs?)?:|\bpost[- ]?(?:dose|bolus|test|injection)\b|"
                         r"\bafter the (?:test )?(?:dose|bolus)", re.I)
_BEFORE_DOSE = re.compile(r"\bbefore\b|\bbaseline\b|\bpre[- ]?(?:dose|test|bolus|trial|injection)\b|\bfrom\b", re.I)
_ASHWORTH_ITEM = re.compile(r",\s*(?:and\s+)?(?:[a-z]+\s+){1,3}(?P<n>[0-4])(?P<plus>\+)?(?!\d|\.\d)"
                            r"(?!\s*(?:h|hours?|min|weeks?)\b)", re.I)


_DENIED_BEFORE = re.compile(r"\b(?:no|not|without|denies|denied)\s+$", re.I)
_PAST_USE = re.compile(r"remission|sober|abstinent|recovery|clean (?:since|for)|\bh/o\b|history of|former|remote", re.I)


def substance(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    if re.match(r"(?:has not|hasn't|have not|had not|abstinent|sober|clean)\b|no .*\bsince$", m.match.group(0), re.I):
        return [_fact(m, place, "history", mods)]  # "has not used cocaine since 09/2024", "no alcohol since 2021",
        # "abstinent from alcohol since 2019" (what negates after it, "and her drug screens are negative", is not its)
    if _negated(mods):
        return [_fact(m, place, "none", mods)]
    if _DENIED_BEFORE.search(place.text, max(0, m.start - 12), m.start):  # the cue word is inside the mention
        if _PAST_USE.search(place.sentence_text, m.end - place.sentence[0]):
            return [_aside(m, place, "negated")]  # "No active use; OUD in sustained remission": the history says it
        return [_fact(m, place, "none", mods)]  # "No active cocaine use"
    history = re.compile(r"remission|sober|quit|stopped|former|past|prior|previous|recovered|recovery|"
                         r"(?:use|disorder|abuse|OUD|SUD|AUD|addiction|alcoholism|dependence) history|"
                         r"clean (?:since|for)|abstinent|no (?:current|active|recent) use|in the past|years ago|"
                         r"(?:until|till|through|up to) (?:(?:19|20)\d\d|\d{1,2}/(?:19|20)\d\d|age)|"
                         r"resolved|treated|as a (?:teen|young)|"
                         r"before (?:the|his|her|their) (?:accident|injury|surgery|diagnosis|arrest|crash)|"
                         r"in (?:his|her|their) (?:teens|20s|30s|40s|twenties|thirties|forties|youth)", re.I)
    # "active in AA" is the recovery's, "no relapse" its absence
    current = re.compile(r"\bactive\b(?! (?:in|with) (?:AA|NA|recovery|a recovery|twelve|12))|"
                         r"\bcurrent(?:ly)?\b|\bongoing\b|(?<!no )\brelapse", re.I)
    if re.match(r"(?:remote|past|prior|former|previous|quit|stopped|gave up|recovering|h/o|hx of|history of|has not|"
                r"hasn't|have not|had not)\b|.*remission",
                m.match.group(0), re.I):
        return [_fact(m, place, "history", mods)]  # the mention names its own time: "remote cocaine use"
    if current.search(_outside(place, m)):
        return [_fact(m, place, "active", mods)]  # "opioid use disorder, severe - active"
    if _historical(mods) or history.search(place.clause_text):
        return [_fact(m, place, "history", mods)]
    return [_fact(m, place, "active", mods, confidence=0.8)]


def etiology(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    if _negated(mods):
        return [_aside(m, place, "negated")]
    if _historical(mods) and re.search(r"remission|resolved|cured|no evidence of disease|NED", place.clause_text, re.I):
        return [_aside(m, place, "historical")]
    sentence = place.sentence_text
    # a problem list and a past history name diagnoses; a study's reading names a cause ("consistent with adhesive
    # arachnoiditis")
    named = place.section in (None, "hpi", "assessment", "procedure", "problem_list", "past_history") or re.search(
        r"pain|diagnos|due to|secondary to|etiology|caus|assessment|impression|s/p|status post|history of|"
        r"consistent with|compatible with", sentence, re.I)
    if not named or _study_finding(place, m):
        return [_aside(m, place, "not_in_context")]
    return [_fact(m, place, m.rule.value, mods, confidence=0.75)]


# a study's report before the mention ("MRI L-spine 08/2025: severe central canal stenosis at L3-4"): what it found
# is pathology, a cause only where the report reads it as one ("consistent with", "explaining her pain")
_STUDY_SAYS = re.compile(r"\b(?:MRI|CT|myelogram|imaging|x-?rays?|radiographs?|EUS|MRCP|bone scan|PET)\b[^.;\n]{0,40}?"
                         r"(?::|\s[-–]\s|\b(?:shows?|showed|showing|revealed?s?|demonstrat\w*|confirm\w*)\b)", re.I)
_READ_AS_CAUSE = re.compile(r"consistent with|compatible with|due to|secondary to|caus|explain|pain", re.I)


def _study_finding(place: Any, m: Any) -> bool:
    before = place.original[place.sentence[0]:m.start]
    study = _STUDY_SAYS.search(before)
    return bool(study) and not _READ_AS_CAUSE.search(place.original, place.sentence[0] + study.start(), m.end)


def pathology(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    """What a study found, in its first clause; else in a later `;` clause of the report that says a finding
    ("MRI: solid fusion; epidural fibrosis encasing the L5 roots")."""
    b = min(m.end, place.clause[1]) if place.clause[1] > m.start else m.end  # the finding, within its clause
    first = _pathology_in(m, place, mods, m.start, b)
    if first[0].__class__ is Fact:
        return first
    for later in _LATER_CLAUSE.finditer(place.original, b, place.sentence[1]):
        found = _pathology_in(m, place, mods, later.start(1), later.end(1), reported=True)
        if found[0].__class__ is Fact and found[0].value is True:
            return found
    return first


_LATER_CLAUSE = re.compile(r";\s*([^;\n]+?)[\s.]*(?=;|\n|$)")


def _pathology_in(m: Any, place: Any, mods: tuple[Modifier, ...], a: int, b: int, reported: bool = False) -> Out:
    c = cues()
    span_text = place.original[a:b]
    if _UNSURE.search(span_text):  # "cannot exclude a small syrinx", "equivocal uptake ... vs early metastasis"
        return [_aside(m, place, "uncertain")]
    if c.pathology_normal.search(span_text) and not c.pathology_findings.search(  # what it did not find is no finding
            _ABSENT.sub(" ", c.pathology_normal.sub(" ", span_text))):
        return [_fact(m, place, False, mods, span=(a, b), confidence=0.7)]
    found = _ABSENT.sub(" ", span_text)  # "no epidural disease, no vertebral metastases": findings it did not find
    if c.pathology_findings.search(found) and (reported or c.pathology_positive.search(found) or ":" in found
                                               or "(" in found):  # a later clause of a report says what it found
        return [_fact(m, place, True, mods, span=(a, b), confidence=0.8)]
    return [_aside(m, place, "no_value")]


_UNSURE = re.compile(r"\b(?:cannot (?:exclude|rule out)|can't rule out|equivocal|indeterminate|questionable|"
                     r"possible|possibly|may (?:be|represent)|vs\.?|versus|suspicious for)\b", re.I)
# (not "no change in the chronic L5-S1 radiculopathy pattern": what did not change is still there)
_ABSENT = re.compile(r"\b(?:no|without|negative for)\b(?! (?:interval |significant )?change\b)[^,;.:]*", re.I)


def onset(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    g = m.match.groupdict()
    if _negated(mods):
        return [_aside(m, place, "negated")]
    def changed(end: int) -> bool:
        """A change, not the onset ("pain returned to 8/10 over 3 weeks"), said before the time ("began about 8
        months ago with the recurrence": what follows the time is not what began)."""
        return bool(_CHANGE.search(place.text, m.start, end))

    if g.get("dur"):
        if _ON_TREATMENT.search(place.text, m.start, m.match.start("dur")) or _OF_A_COURSE.match(place.text, m.end):
            return [_aside(m, place, "a_course")]  # "pain, on gabapentin for 2 years": the drug's time, not the pain's
        found = timex.durations_in(g["dur"], m.match.start("dur"))
        if found and not changed(found[0].end):
            d = found[0]
            return [_fact(m, place, d.before(place.note_date).isoformat(), mods, span=(d.start, d.end))]
    if g.get("ago"):
        found = timex.ago_in(g["ago"], place.note_date, m.match.start("ago"))
        if found and not changed(found[0].end):
            return [_fact(m, place, found[0].last.isoformat(), mods, span=(found[0].start, found[0].end))]
    if g.get("when"):
        base = m.match.start("when")
        ago = timex.ago_in(g["when"], place.note_date, base)
        dates = timex.dates_in(g["when"], base)
        found = ago[:1] or dates[:1] or timex.month_at_start(g["when"], place.note_date, base)
        if found and not changed(found[0].end):
            d = found[0]
            return [_fact(m, place, d.last.isoformat(), mods, span=(d.start, d.end), confidence=0.8)]
    return [_aside(m, place, "no_value")]


_CHANGE = re.compile(r"return|recur|wors|increas|flare|escalat|progress|improv|better|relief", re.I)
# "no gains over 12 weeks of skilled PT": a course's weeks
_OF_A_COURSE = re.compile(r"\s+of\s+(?:[\w-]+\s+){0,2}?(?:PT|physical\s+therapy|therapy|treatment|care|rehab\w*|"
                          r"injections?|medications?|opioids?|sessions|visits|chiropractic|acupuncture|counseling|CBT)\b",
                          re.I)
_ON_TREATMENT = re.compile(r"\b(?:on|taking|takes|took|tried|trialed|using|uses|treated with|managed with|"
                           r"prescribed)\s+"
                           r"(?!the\s+(?:past|last)\b|and\s+off\b)\w", re.I)


def _first(items: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> tuple[str, re.Match[str]] | None:
    for name, rx in items:
        found = rx.search(text)
        if found:
            return name, found
    return None


def treatment(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    c = cues()
    # "SCS trial - failed, not implanted, ESI x4 ...": the negation is the participle's, in the list item before
    mods = tuple(x for x in mods
                 if x.category != "negated" or not _PARTICIPLE_BEFORE.fullmatch(place.text, x.end, m.start))
    if _negated(mods):
        return [_aside(m, place, "negated")]
    if place.previous == m.start and _SINCE_THE.search(place.text, max(0, m.start - 12), m.start):
        return [_aside(m, place, "no_value")]  # "ESI x4 since the fusion": when the other began, not how this went
    if c.contexts["drug_screen"].search(place.text, place.sentence[0], m.start):
        return [_aside(m, place, "no_value")]  # "UDS: negative (oxycodone present, prescribed)": what a screen found
    if _ALLERGY_LIST.search(place.text, place.text.rfind("\n", 0, m.start) + 1, m.start):
        return [_aside(m, place, "no_value")]  # "Allergies: codeine (nausea)": a reaction listed, not a course
    where: list[tuple[int, int]] = []  # where the outcome is said: the fact's span runs from the mention to it
    # a parenthesis after the mention and its dose is its own note ("meloxicam 15 mg (GI upset, stopped)"): it
    # comes before any phrase of the list item before it ("Cymbalta ... without benefit, meloxicam 15 mg (...)")
    together = _together(place, m)
    paren = None if together else _PAREN_AFTER.match(place.text, m.end)
    if paren and (paren.end() > place.clause[1]
                  or any(rx.search(place.text, m.end, paren.start(1)) for _, rx in c.outcomes)):
        paren = None  # not after the dose alone ("trial in 2021 was unsuccessful (30% relief)")
    outcome = _nearest(c.outcomes, place.text, paren.span(1), m, where=where) if paren else None
    if together:  # "PT, gabapentin and tramadol all failed": each item has the list's outcome
        outcome = _nearest(c.outcomes, place.text, together, m, where=where)
    if outcome is None:
        outcome = _nearest(c.outcomes, place.text, place.clause, m, where=where, upto=place.upto)  # each item's own
    if outcome is None and place.after is not None:  # "Tramadol 50 mg BID was tried briefly; she became confused"
        outcome = _nearest(c.outcomes, place.text, place.after, m, where=where)
    if outcome is None and place.contrast is not None:  # "PT for 16 visits but stopped because it increased pain"
        outcome = _nearest(c.outcomes, place.text, place.contrast, m, where=where)
    if outcome is None and m.rule.ongoing_when:  # "home stretching daily", "sees a counselor monthly"
        found = m.rule.ongoing_when.search(place.text, m.start, place.upto or place.clause[1])
        if found:
            outcome = "ongoing"
            where.append(found.span())
    if outcome == "effective":  # "helped her coping but not the pain": it failed the pain
        found = c.pain_unchanged.search(place.text, where[-1][1] if where else m.end, place.sentence[1])
        if found:
            outcome = "failed"
            where.append(found.span())
    if outcome == "effective":  # "gives relief and he uses it daily, which he will continue": it helps and goes on
        ongoing = dict(c.outcomes)["ongoing"]
        found = next((f for f in ongoing.finditer(place.text, *place.clause) if not m.start <= f.start() < m.end), None)
        if found:
            outcome = "ongoing"
            where.append(found.span())
    if outcome == "ongoing" and not c.goes_on_helping_little.search(place.text, *place.clause):
        # "currently takes X with inadequate relief": still taken, and it failed
        failures = tuple(o for o in c.outcomes if o[0] == "failed")
        outcome = _nearest(tuple(o for o in c.outcomes if o[0] in ("failed", "intolerable_side_effects")),
                           place.text, place.clause, m, where=where) or outcome
        if outcome == "ongoing" and place.after is not None and _PAIN_SAID.search(place.text, *place.after):
            # "Cymbalta 60 mg daily - continuing (also for mood); pain benefit minimal": it goes on, and failed the pain
            outcome = _nearest(failures, place.text, place.after, m, where=where) or outcome
    if outcome in ("failed", "intolerable_side_effects") and not together:
        outcome = _failure_kind(outcome, place.text, place.clause, m)
    if outcome == "intolerable_side_effects":  # "GI bleed 2023 -> NSAIDs now contraindicated": the harm is why
        found = next((f for f in dict(c.outcomes)["contraindicated"].finditer(place.text, *place.clause)
                      if not m.start <= f.start() < m.end), None)
        if found:
            outcome = "contraindicated"
            where.append(found.span())
    around = [r for r in (place.clause, place.contrast, place.after) if r is not None]
    if outcome == "intolerable_side_effects" and not together:  # "dry mouth but she keeps taking it"
        found = next((f for r in around for f in c.still_taken.finditer(place.text, *r)
                      if not m.start <= f.start() < m.end), None)
        if found:
            outcome = "ongoing"
            where.append(found.span())
    value: dict[str, Any] = {"type": m.rule.type}
    if outcome:
        value["outcome"] = outcome
    if m.rule.type in c.medication_types or m.rule.medication:  # "baclofen 10 mg TID": the mention's own words count
        schedule = _nearest(c.schedules, place.text, place.clause, m, own=True)
        if schedule:
            value["schedule"] = schedule
    value.update(_treatment_dates(place, m, value.get("outcome")))
    if "outcome" not in value:
        if "start" in value or "end" in value:  # a dated course: its outcome may be said elsewhere in the note
            return [_fact(m, place, value, mods, confidence=0.5)]  # (rule_based.py completes it, or sets it aside)
        return [_aside(m, place, "no_value")]  # a name in a medication list says nothing of how it went
    if value.get("outcome") == "ongoing" and "end" in value:
        del value["outcome"]
    span = (min(m.start, where[-1][0]), max(m.end, where[-1][1])) if where and "outcome" in value else None
    return [_fact(m, place, value, mods, confidence=0.8 if "outcome" in value else 0.6, span=span)]


_ALLERGY_LIST = re.compile(r"^[ \t*-]*(?:allerg\w*|ADRs?|drug intolerances?)\s*:[^.;\n]*$", re.I | re.M)
_PARTICIPLE_BEFORE = re.compile(r"\s+[a-z]+(?:ed|en)\s*,\s*", re.I)


# a list's items said together ("PT, SCS and oral opioids all failed", "both stopped for sedation")
_TOGETHER = re.compile(r"\b(?:all|both|each|every one)\s+(?:of\s+(?:them|these|which)\s+)?"
                       r"(?:(?:have|had|has|were|was)\s+)?", re.I)
_LIST_ITEMS = re.compile(r"[\w\s,/&+-]{0,120}")


_SINCE_THE = re.compile(r"\b(?:since|after|before) (?:the|his|her|their) $", re.I)


def _together(place: Any, m: Any) -> tuple[int, int] | None:
    """Where the outcome said of a list the mention is an item of lies (after its "all", up to 40 characters on):
    only names, commas and "and" between the mention and the "all"."""
    found = _TOGETHER.search(place.text, m.end, place.clause[1])
    if not found or not _LIST_ITEMS.fullmatch(place.text, m.end, found.start()):
        return None
    return found.end(), min(place.clause[1], found.end() + 40)


def _failure_kind(outcome: str, text: str, clause: tuple[int, int], m: Any) -> str:
    """Failed or intolerable, when the clause says both kinds of thing (see `bare_failure` in cues.yaml)."""
    c = cues()
    found = {name: [f for f in rx.finditer(text, *clause) if not m.start <= f.start() < m.end]
             for name, rx in c.outcomes if name in ("failed", "intolerable_side_effects")}
    stated = [f for f in found["failed"] if not c.bare_failure.fullmatch(f.group())]
    if found["failed"] and not stated and found["intolerable_side_effects"]:
        return "intolerable_side_effects"
    return outcome


def _nearest(items: tuple[tuple[str, re.Pattern[str]], ...], text: str, clause: tuple[int, int], m: Any,
             own: bool = False, where: list[tuple[int, int]] | None = None, upto: int = 0) -> str | None:
    """The item whose phrase is nearest the mention in its clause ("ER 60 mg BID plus IR PRN": BID), one after it
    counting half as far as one before; equal distances go to the earlier item of the list. A phrase inside the
    mention counts only with `own` (at distance 0)."""
    best = None
    for rank, (name, rx) in enumerate(items):
        for found in rx.finditer(text, *clause):
            if m.start <= found.start() < m.end:
                if not own:
                    continue  # the mention's own words
                distance = 0
            elif m.end <= found.start() < upto < clause[1] and _LEADS_TO.fullmatch(text, found.end(), upto):
                continue  # the next item's ("intolerant of oral baclofen, unresponsive to dantrolene")
            else:
                distance = found.start() - m.end if found.start() >= m.end else (m.start - found.end()) * 2
            if best is None or (distance, rank) < best[:2]:
                best = (distance, rank, name, found.span())
    if best and where is not None:
        where.append(best[3])
    return best[2] if best else None


_LEADS_TO = re.compile(r"\s*(?:to|of|with|from|on)?\s*", re.I)
_PAREN_AFTER = re.compile(r"(?:[^()\n;.]|\.(?=\d)){0,30}?\(([^()\n]{1,80})\)")

EVENTS = ("epidural_steroid_injection", "nerve_block", "spine_surgery", "injectable_analgesics")


def _treatment_dates(place: Any, m: Any, outcome: str | None) -> dict[str, str]:
    """Start and end from the clause: `since 2022`, `from 01/2024 to 03/2024`, `x12 wks ending 01/2025`,
    `for the past 2 years` (anchored at the note's date); an imprecise date is its latest day."""
    c = cues()
    a, b = place.clause
    a = max(a, place.previous)  # in a list, the item before this one has its own dates
    if place.after is not None and outcome is not None:  # "Norco from 2022; tapered off 04/2025 because ..."
        b = place.after[1]
    elif m.end < place.upto < b and (m.rule.type in EVENTS or m.rule.event):
        b = place.upto  # an event's dates stop at the next treatment ("TLIF 03/2021 ..., ESI x4 (last 11/2023)")
    text = place.text[a:b]
    dates = timex.dates_in(text, a)
    dates = sorted(dates + [d for d in timex.months_in(text, place.note_date, a)  # "Home PT was started in May"
                            if not any(x.start <= d.start < x.end for x in dates)], key=lambda d: d.start)
    durations = [d for d in timex.durations_in(text, a) if not _inside_date(d, dates)]
    out: dict[str, str] = {}
    for d in dates:
        before = place.text[max(a, d.start - 14):d.start]
        if c.date_roles["start"].search(before) or _TO_PRESENT.match(place.text, d.end, b):
            out.setdefault("start", d.last.isoformat())
        elif c.date_roles["end"].search(before) and "start" in out or re.search(
                r"(?:ending|ended|until|through|thru|completed|finished|stopped|discontinued|abandoned|"
                r"(?:tapered|weaned) off|d/c(?:'d)?)"
                r"(?: in| on| by)?\W*$",
                place.text[max(a, d.start - 24):d.start], re.I):  # wider: "discontinued in " is 16 characters
            out.setdefault("end", d.last.isoformat())
    ended = _ENDED_LAST.search(text)  # "6 CBT sessions that ended last month"
    if ended and "end" not in out:
        out["end"] = _last(ended.group(1).lower(), place.note_date).isoformat()
    event = m.rule.type in EVENTS or m.rule.event
    if len(dates) == 2 and not out and not event:
        out = {"start": dates[0].last.isoformat(), "end": dates[1].last.isoformat()}
    elif len(dates) == 2 and set(out) == {"end"} and out["end"] == dates[1].last.isoformat() and not event:
        out["start"] = dates[0].last.isoformat()  # "12/02/2024 through 03/21/2025"
    if not out and not event and _STARTED.search(place.text, max(a, m.start - 20), m.start):
        later = [d for d in dates if d.start >= m.end]  # "Started oral baclofen 5 mg TID in 05/2025"
        if later:
            out["start"] = later[0].last.isoformat()
    if event and not out:  # an injection, a block, a surgery, radiation: a day (a month's last), not a course
        when = [d for d in dates if (d.last - d.first).days < 31] + timex.ago_in(text, place.note_date, a)
        # its own dates: after the mention when any are ("... and palliative RT in 07/2025"), not one to come ("due
        # for repeat in 09/2025"); two or more are a series ("ESI x2 (03/2025, 05/2025)")
        when = [d for d in when if not _TO_COME.search(place.text, max(a, d.start - 24), d.start)]
        when = [d for d in when if d.start >= m.end] or when
        if when:
            return {"start": when[0].last.isoformat(), "end": when[-1].last.isoformat()}
        return {}
    if durations and m.rule.type != "spine_surgery":  # a surgery is a day, not a course
        dur = durations[0]
        if "end" in out and "start" not in out:
            out["start"] = dur.before(dt.date.fromisoformat(out["end"])).isoformat()
        elif "start" in out and "end" not in out and outcome != "ongoing":
            out["end"] = dur.after(dt.date.fromisoformat(out["start"])).isoformat()
        elif not out and c.date_roles["present"].search(text):
            out["start"] = dur.before(place.note_date).isoformat()
    if "start" in out and "end" in out and out["end"] < out["start"]:
        return {}
    return out


_ENDED_LAST = re.compile(r"\b(?:ended|ending|finished|completed|stopped|concluded|discontinued)\s+"
                         r"last\s+(week|month|year)\b", re.I)


def _last(unit: str, note_date: dt.date) -> dt.date:
    """The latest day "last week/month/year" can mean, before the note's date."""
    if unit == "week":
        return note_date - dt.timedelta(days=7)
    if unit == "month":
        return note_date.replace(day=1) - dt.timedelta(days=1)
    return dt.date(note_date.year - 1, 12, 31)


_TO_PRESENT = re.compile(r"\s*(?:-|–|to|through|thru|until)\s*(?:the\s+)?(?:present|now|today|date|current)\b", re.I)
_TO_COME = re.compile(r"\b(?:repeat|due|next|planned|scheduled|again)\b[^.;]*$", re.I)
_STARTED = re.compile(r"\b(?:started|starting|switched to|changed to|rotated to|began|initiated|commenced)\s+(?:on\s+)?"
                      r"(?:an?\s+)?$", re.I)


def _inside_date(d: timex.Duration, dates: list[timex.DateMention]) -> bool:
    return any(x.start <= d.start < x.end for x in dates)


def evaluation(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    """An evaluation counts with its result (a name in a list says nothing the policies read); its date is the
    sentence's (an imprecise one its latest day), else the note's when the note is that evaluation's own."""
    c = cues()
    if _negated(mods):
        return [_aside(m, place, "negated")]
    kind = m.rule.type
    sentence = place.sentence_text
    result, base = _first(c.evaluation_results[kind], place.clause_text), place.clause[0]
    if not result:
        result, base = _first(c.evaluation_results[kind], sentence), place.sentence[0]
    if not result and kind == "specialist" and _SEEN_ON.match(place.original, m.end):
        return [_fact(m, place, _specialist_seen(m, place), mods, confidence=0.6, span=(m.start, _SEEN_ON.match(
            place.original, m.end).end()))]
    if not result:
        return [_aside(m, place, "no_value")]
    # the span runs from the evaluation to its conclusion ("From a psychological standpoint she is cleared")
    span = (min(m.start, base + result[1].start()), max(m.end, base + result[1].end()))
    value: dict[str, Any] = {"type": kind}
    head = place.original.lstrip().split("\n", 1)[0][:200]  # the note's title line
    authors = m.rule.value == "the_author"  # the author's own opinion: the title names who gives it
    if kind == "specialist":
        named = head if authors else m.match.group(0)
        value["specialty"] = next((name for name, rx in c.specialties if rx.search(named)), None) or "other"
    value["result"] = result[0]
    dates = timex.dates_in(sentence, place.sentence[0])
    dates = [d for d in dates if d.start >= m.start] or dates  # its own ("Neurosurgery (Dr. X, 08/12/2025)")
    if dates and not authors:
        value["date"] = dates[0].last.isoformat()
    elif authors or (kind == "mental_health" and re.search(r"psycholog|psychiatr|behavioral health", head, re.I)) or (
            kind == "specialist" and re.search(m.match.group(0)[:6], head, re.I)):
        value["date"] = place.note_date.isoformat()  # the note is that evaluation
    return [_fact(m, place, value, mods, confidence=0.8, span=span)]


# a specialist named with the physician and the day, who saw the member: "Neurosurgery (Dr. X, 10/10/2024) reviewed
# the MRI" is an evaluation on that day, whatever it concluded
_SEEN_ON = re.compile(r"\s*\(Dr\.?\s[^()\n]{1,40}?,\s*(\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4})\)\s*"
                      r"(?:reviewed|saw|evaluated|examined|assessed)\b", re.I)


def _specialist_seen(m: Any, place: Any) -> dict[str, Any]:
    c = cues()
    seen = _SEEN_ON.match(place.original, m.end)
    specialty = next((name for name, rx in c.specialties if rx.search(m.match.group(0))), None) or "other"
    day = timex.dates_in(seen.group(1), seen.start(1))[0]
    return {"type": "specialist", "specialty": specialty, "date": day.last.isoformat()}


def drug_screen(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    c = cues()
    result = _first(c.screen_results, _outside(place, m))
    mods = tuple(x for x in mods if x.category != "negated" or not result)  # "was negative" is its result
    if _negated(mods) or not result:
        return [_aside(m, place, "negated" if _negated(mods) else "no_value")]
    dates = [d for d in timex.dates_in(place.sentence_text, place.sentence[0]) if (d.last - d.first).days <= 31]
    # its own date: the first after it in its clause ("psych clearance 10/2024, UDS 07/08/2025 negative"), else the
    # sentence's first
    own = [d for d in dates if m.start <= d.start < place.clause[1]]
    dates = own[:1] + [d for d in dates if d not in own[:1]]
    ago = timex.ago_in(place.sentence_text, place.note_date, place.sentence[0])
    found = (dates or ago)[:1]
    # a month alone is its last day (not after the note's); undated: as of the note
    day, confidence = (min(found[0].last, place.note_date), 0.85) if found else (place.note_date, 0.6)
    return [_fact(m, place, {"date": day.isoformat(), "result": result[0]}, mods, confidence=confidence)]


def oral_baclofen(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    """Oral baclofen for spasticity: how many weeks (a duration in its clause) and how it worked."""
    if _negated(mods) or re.search(r"intrathecal|pump|ITB|test|bolus|trial dose", place.text[m.start - 20:m.end + 20],
                                   re.I):
        return []
    # its own item of a list: up to the next drug named in the clause ("oral baclofen ineffective, tizanidine caused
    # sedation"); else what the clause after a `;` says of it ("taken for 26 weeks; she became somnolent")
    a, b = place.clause[0], place.upto or place.clause[1]
    text = place.text[a:m.start] + " " + place.text[m.end:b]
    out: Out = []
    durations = timex.durations_in(place.clause_text, place.clause[0])
    if durations:
        d = durations[0]
        out.append(_fact(m, place, round(d.weeks, 1) if d.weeks % 1 else int(d.weeks), mods,
                         path="clinical.spasticity.oral_baclofen_weeks", span=(d.start, d.end)))
    led = _LEADS_INTO.search(place.text, max(a, m.start - 60), m.start)  # "unresponsive to 30 weeks of oral baclofen"
    if led:
        response = "intolerant" if led.group(1).lower().startswith("intoleran") else "unresponsive"
        out.append(_fact(m, place, response, mods, path="clinical.spasticity.oral_response", span=(led.start(), m.end)))
        return out
    regions = [(a, b)] + ([place.after] if place.after else [])
    for k, (ra, rb) in enumerate(regions):
        if k:
            text = place.text[ra:rb]
        for response, cue in _ORAL_RESPONSES:  # in order: "failed oral baclofen because of sedation" is intolerance
            if re.search(cue, text, re.I):
                found = _cue(place, m, cue, (ra, rb))  # the span runs from the drug to what it did ("... intolerant")
                span = (min(m.start, found.start()), max(m.end, found.end())) if found else None
                out.append(_fact(m, place, response, mods, path="clinical.spasticity.oral_response", span=span))
                return out
    return out


_LEADS_INTO = re.compile(r"\b(unresponsive|refractory|intolerant|intolerance)\s+(?:to|of)\s+(?:[\w-]+\s+){0,5}$", re.I)
_ORAL_RESPONSES = (
    ("intolerant", r"sedation|drowsi|somnolen|weakness|side effects?|intoleran|could not tolerate|confusion|fatigue"),
    ("unresponsive", r"fail|no (?:significant |meaningful )?(?:benefit|response|improvement|relief|change)|ineffective|"
                     r"inadequate|insufficient|without (?:adequate |sufficient |meaningful |significant )?"
                     r"(?:benefit|improvement|relief|response|control)|minimal (?:benefit|response)|"
                     r"refractory|persist|unresponsive|did not control"),
    ("responsive", r"effective|good response|helped|controlled|improved|responsive"),
)


def _cue(place: Any, m: Any, pattern: str, region: tuple[int, int] | None = None) -> re.Match[str] | None:
    """The first match of `pattern` in the mention's clause (or `region`), outside the mention."""
    a, b = region or place.clause
    return next((f for f in re.compile(pattern, re.I).finditer(place.text, a, b)
                 if not (m.start <= f.start() < m.end)), None)



def test_dose(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    if _negated(mods) and _NEGATIVE_RESULT.match(place.text, m.end):  # "the baclofen trial was negative": its result
        return [_fact(m, place, "unfavorable", tuple(x for x in mods if x.category != "negated"))]
    if _negated(mods) or not re.search(r"baclofen|spastic|ashworth|tone|ITB", place.sentence_text, re.I) \
            and "spasticity" not in place.contexts:
        return []
    text = _outside(place, m)
    for response, cue in _TEST_DOSE_RESPONSES:
        if re.search(cue, text, re.I):
            found = _cue(place, m, cue)  # the span runs from the test dose to its response
            span = (min(m.start, found.start()), max(m.end, found.end())) if found else None
            return [_fact(m, place, response, mods, span=span)]
    return []


_PAIN_SAID = re.compile(r"\bpain\b", re.I)
_NEGATIVE_RESULT = re.compile(r"\s+(?:was|were|is)\s+(?:negative|unsuccessful)\b", re.I)
_TEST_DOSE_RESPONSES = (
    ("unfavorable", r"no (?:significant |meaningful |appreciable )?"
                    r"(?:response|change|improvement|reduction|benefit|drop)|"
                    r"unfavorable|negative (?:response|trial|result)|failed|did not (?:respond|improve)|"
                    r"(?:was|were|is) (?:negative|unsuccessful)\b"),
    ("favorable", r"favorable|positive (?:response|result|trial)|(?:was|were|is) (?:positive|successful)\b|"
                  r"good (?:response|result)|excellent|"
                  r"(?:significant|marked) (?:reduction|decrease|improvement)|reduc|decreas|improv|responded|"
                  r"\bdrop(?:ped)?\b|\bfell\b|relax|loosen"),  # "a 2-point drop in Ashworth scores", "tone fell"
)


def origin(m: Any, place: Any, mods: tuple[Modifier, ...]) -> Out:
    """The origin as the note states it ("spasticity of cerebral origin", "spinal spasticity")."""
    if _negated(mods):
        return [_aside(m, place, "negated")]
    return [_fact(m, place, m.match.group("o").lower(), mods)]


READERS: dict[str, Callable[[Any, Any, tuple[Modifier, ...]], Out]] = {
    "flag": flag, "choice": choice, "number": number, "percent": percent, "scores": scores, "trial_date": trial_date,
    "life_expectancy": life_expectancy, "ashworth": ashworth, "substance": substance, "etiology": etiology,
    "pathology": pathology, "onset": onset, "treatment": treatment, "evaluation": evaluation,
    "drug_screen": drug_screen, "oral_baclofen": oral_baclofen, "test_dose": test_dose, "origin": origin,
}
