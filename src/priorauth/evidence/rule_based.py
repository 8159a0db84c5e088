"""The rule-based extractor: target patterns (rules/targets.yaml) found in the note, ConText modifiers and sections
from medspaCy, then one reader per kind of fact (readers.py) turns each mention into a fact or sets it aside.

A mention inside a longer mention of another rule is the longer one's ("morphine" in "allergic to morphine",
"opioid" in "opioid use disorder"). Mentions of a relative, a plan or an uncertain finding are set aside, never
facts; so is everything in a note that is not about intrathecal or epidural drug delivery or what it treats.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from priorauth.evidence import readers
from priorauth.evidence.model import Fact, Modifier, NoteEvidence, SetAside
from priorauth.evidence.nlp import CATEGORIES, TARGETS, pipeline, renew_if_grown
from priorauth.evidence.rules_data import Cues, Rule, cues, rules
from priorauth.evidence.scan import Anchor, matches_at, starts_of

NAME = "rules"
_SPACY = threading.Lock()
# rules whose pattern reaches over a whole phrase: they never hide the mentions inside them
_WIDE = {"pathology", "onset", "trial_date", "life_expectancy", "trial_scores", "oral_baclofen", "test_dose"}
# rules that read a list of things not found ("no nausea or pruritus", "no erythema or drainage")
_LISTED = {"trial_side_effects_absent", "site_signs_absent"}
# facts a sentence may state twice, each its own saying ("not a surgical candidate and no further surgical option";
# a diagnosis and the origin it states, which _dedupe reads)
_EACH_SAYING = {"clinical.spasticity.origin", "clinical.surgery_indicated"}
_BUT = re.compile(r"but\b", re.I)
_DASH = re.compile(r"\s[-–]\s")  # "could not stand - oral baclofen intolerant": a negation before a dash stays there
_CLAUSE_BREAK = re.compile(r";|\bbut\b|\bhowever\b|\bwhereas\b|\balthough\b|\bthough\b|\bexcept\b|\bwhile\b", re.I)


@dataclass(frozen=True)
class Mention:
    rule: Rule
    start: int
    end: int
    match: re.Match[str]


@dataclass
class Place:
    """Where a mention sits: its sentence and clause (offsets into the note), its section, the note's contexts."""

    text: str
    sentence: tuple[int, int]
    clause: tuple[int, int]
    section: str | None
    note_date: dt.date
    contexts: frozenset[str]
    original: str = ""  # the note as written (`text` has the causes of pain blanked, so "failed back surgery
    # syndrome" is not read as a failed treatment)
    # the clause after a `;` that ends this one, when it names no other treatment ("Tramadol was tried briefly;
    # she became confused"): where a treatment's outcome may be said when its own clause does not say it
    after: tuple[int, int] | None = None
    # where this item of a list starts: at its own mention when another treatment comes before it in the clause (the
    # dates before it are that one's: "oxycodone since 2024 with limited benefit, and duloxetine since 2023")
    previous: int = 0
    # where the next item of a list (a treatment of another kind) starts in the clause, else the clause's end
    upto: int = 0
    # the clause after a `but` that ends this one, when it names no other treatment: where its outcome may be said
    # when its own clause does not say it ("PT for 16 visits in 2023 but stopped because each session increased pain")
    contrast: tuple[int, int] | None = None

    @property
    def clause_text(self) -> str:
        return self.text[self.clause[0]:self.clause[1]]

    @property
    def sentence_text(self) -> str:
        return self.text[self.sentence[0]:self.sentence[1]]


class RuleBasedExtractor:
    """The shipped extractor (`name` "rules")."""

    name = NAME

    def extract(self, text: str, note_date: dt.date) -> NoteEvidence:
        c = cues()
        mentions = _mentions(text)
        # a note about another device (an insulin pump, an On-Q pump after surgery) that names nothing of ours
        relevant = not c.other_device.search(text) or bool(c.relevant.search(_own(_without(text, c.other_device), c)))
        if not relevant:
            why = "other_device" if c.other_device.search(text) else "not_relevant"
            return NoteEvidence((), tuple(SetAside(m.rule.path, m.start, m.end, text[m.start:m.end], m.rule.id, why)
                                          for m in mentions), relevant=False)
        nlp, splitter, sectionizer, context = pipeline()
        with _SPACY:  # one note at a time through the shared pipeline (its tokenizer caches are not thread-safe)
            doc = splitter(nlp.make_doc(text))
            doc = sectionizer(doc)
            spans = [doc.char_span(m.start, m.end, label=m.rule.id, alignment_mode="expand") for m in mentions]
            kept = [(m, s) for m, s in zip(mentions, spans, strict=True) if s is not None and len(s)]
            doc.spans[TARGETS] = [s for _, s in kept]
            doc = context(doc)
            renew_if_grown(nlp)
        headers = _headers(text)
        sections = [(doc[s.title_start].idx,
                     _section_end(text, headers, doc[s.title_end - 1].idx + len(doc[s.title_end - 1]),
                                  doc[s.body_end - 1].idx + len(doc[s.body_end - 1]), s.category), s.category)
                    for s in doc._.sections if s.category and s.body_end > s.title_start]
        note_contexts = frozenset(k for k, rx in c.contexts.items() if not k.startswith("not_") and rx.search(text))
        facts: list[Fact] = []
        aside: list[SetAside] = []
        said: dict[tuple[str, str, int], int] = {}  # the fact's key in its sentence -> its index in facts
        named: dict[tuple[str, str, int], tuple[int, str]] = {}  # and where its mention starts, what it names
        bounds = [doc[s.start].idx for s in doc.sents] + [len(text)]
        masked = _unchecked(_mask(text, [m for m in mentions if m.rule.read == "etiology"]))
        treated = sorted((m.start, m.rule.type or "") for m, _ in kept if m.rule.read == "treatment")
        treated_ends = [(m.start, m.end) for m, _ in kept if m.rule.read == "treatment"]
        for (m, _span), target in zip(kept, doc.spans[TARGETS], strict=True):
            k = bisect.bisect_right(bounds, m.start) - 1
            a, b = bounds[k], bounds[k + 1]
            clause = _clause(text, a, b, m)
            listed = m.rule.read in ("treatment", "oral_baclofen")  # read as an item of a list of treatments
            kind = m.rule.type or ("oral_baclofen" if m.rule.read == "oral_baclofen" else "")
            after = _after(text, clause, b, treated, kind) if listed else None
            # the `but` after its own clause, or after the `;` clause that follows it ("PT/OT 2x/wk Jan-Apr; she
            # completed the course but the allodynia is unchanged")
            contrast = (_after(text, clause, b, treated, kind, _BUT) or (after and _after(
                text, after, b, treated, kind, _BUT))) if listed else None
            place = Place(masked, (a, b), clause,
                          next((cat for s, e, cat in sections if s <= m.start < e), None), note_date, note_contexts,
                          text, after,
                          m.start if listed and any(clause[0] <= s_ and e <= m.start for s_, e in treated_ends)
                          else clause[0],
                          next((s_ for s_, t in treated if m.end <= s_ < clause[1] and t != kind), clause[1]),
                          contrast)
            mods = ()
            for mod in target._.modifiers:
                a, b = mod.modifier_span  # token offsets
                start, end = doc[a].idx, doc[b - 1].idx + len(doc[b - 1])
                # not a modifier of this mention: one inside it, a negation before a dash, one after a semicolon (its
                # own clause's: "has never used drugs; UDS 10/29 was negative"), a far condition after the mention
                if mod.category in CATEGORIES and not (m.start <= start and end <= m.end) \
                        and not (mod.category == "NEGATED_EXISTENCE" and _DASH.search(text, end, m.start)) \
                        and not (start >= m.end and ";" in text[m.end:start]) \
                        and not _aside_in_parenthesis(text, start, end, m) \
                        and not (mod.category == "HYPOTHETICAL" and start >= m.end
                                 and _far_condition(text, m.end, start)):
                    mods += (Modifier(CATEGORIES[mod.category], start, end, text[start:end]),)
            if not any(x.category == "negated" for x in mods):
                mods += _own_negation(m, text)
            if place.section == "family_history" and not any(x.category == "family" for x in mods):
                mods += (Modifier("family", m.start, m.start, ""),)
            if m.rule.path.startswith(_FINDINGS) and m.rule.path != _OTHER_IMPLANT \
                    and _about_other_device(text, place.sentence):
                aside.append(SetAside(m.rule.path, m.start, m.end, text[m.start:m.end], m.rule.id, "other_device"))
                continue
            for item in readers.read(m, place, mods):
                if isinstance(item, SetAside):
                    aside.append(item)
                else:
                    kind = (item.value.get("type"), item.value.get("outcome")) if item.path == "clinical.treatments[]" \
                        else repr(item.value)
                    key = (item.path, kind, k)
                    # one fact per sentence that says it twice ("elevated INR - coagulopathy"):
                    if key in said and item.path not in _EACH_SAYING \
                            and not _another_drug(text, named[key], (m.start, text[m.start:m.end]), item):
                        first = facts[said[key]]  # the wider saying ("post-stroke spasticity of cerebral origin"),
                        # but a list of what was not found only where nothing else says it ("no erythema or drainage;
                        # no signs of infection")
                        if (first.rule in _LISTED) > (item.rule in _LISTED) or (first.rule in _LISTED) == (
                                item.rule in _LISTED) and item.end - item.start > first.end - first.start:
                            facts[said[key]] = item
                        continue
                    said[key] = len(facts)
                    named[key] = (m.start, text[m.start:m.end])
                    facts.append(item)
        facts, unfinished = _complete_courses(facts)
        aside.extend(unfinished)
        facts = _without_restated_responses(facts, bounds)
        # the note's title names its kind ("CANCER PAIN - INTRATHECAL TRIAL", "MS Center"), it states nothing
        title_end = _title_end(text)
        aside.extend(SetAside(f.path, f.start, f.end, f.text, f.rule, "title") for f in facts if f.end <= title_end)
        facts = [f for f in facts if f.end > title_end]
        return NoteEvidence(tuple(_dedupe(facts, text, title_end)), tuple(aside), relevant=True)


_FINDINGS = "clinical.findings."
_OTHER_IMPLANT = "clinical.findings.other_programmable_implant"  # "no pacemaker or insulin pump" is about them


def _another_drug(text: str, first: tuple[int, str], this: tuple[int, str], item: Fact) -> bool:
    """Two drugs of one kind listed apart ("gabapentin (dizziness), Lyrica (confusion)") are two courses; a regimen
    joined by "+", "plus" or "with" ("Nucynta ER BID + tapentadol IR PRN"), or a name and its gloss in brackets
    ("Duragesic (fentanyl patch)"), is one."""
    if item.path != "clinical.treatments[]" or item.value.get("type") not in _DRUG_TYPES:
        return False
    (a, name_a), (b, name_b) = sorted((first, this))
    if name_a.lower() == name_b.lower() or any(_DRUG_CLASS.search(n) for n in (name_a, name_b)):  # "opioid-induced"
        return False
    between = text[a:b]
    return not _REGIMEN.search(between) and between.count("(") <= between.count(")")


_DRUG_TYPES = {"systemic_opioids", "transdermal_opioids", "oral_nonopioid_analgesics", "nsaids", "otc_analgesics",
               "oral_antispasmodic", "injectable_analgesics", "subcutaneous_medication"}
_DRUG_CLASS = re.compile(r"opioid|opiate|narcotic|nsaid|anti|analgesic|neuropathic|muscle|medication|pain", re.I)
_REGIMEN = re.compile(r"\+|\bplus\b|\bwith\b|&|\bincluding\b|\bsuch as\b|\be\.g\.|\bi\.e\.", re.I)


def _about_other_device(text: str, sentence: tuple[int, int]) -> bool:
    """A sentence that names another device (a nerve catheter, an insulin pump) and nothing of ours: its findings
    are that device's site."""
    c = cues()
    said = text[sentence[0]:sentence[1]]
    return bool(c.other_device_here.search(said)) and not c.relevant.search(_without(said, c.other_device_here))


_FIELD_LINE = re.compile(r"[A-Za-z][A-Za-z /&'()-]{1,40}:[ \t]*\S")


def _title_end(text: str) -> int:
    """Where the note's title ends: its first line, when that is a heading (short, not a sentence, not a form's
    labelled field such as "Substance abuse hx: denies"); else 0."""
    lead = len(text) - len(text.lstrip())
    first = text[lead:].split("\n", 1)[0]
    if len(first) > 100 or first.rstrip().endswith((".", ";", ",")) or "\n" not in text[lead:] \
            or _FIELD_LINE.match(first):
        return 0
    return lead + len(first)


def _aside_in_parenthesis(text: str, start: int, end: int, m: Mention) -> bool:
    """A modifier inside a parenthesis the mention is not in is that aside's ("No pacemaker (his father has one)")."""
    opened = text.rfind("(", 0, start)
    if opened < 0 or text.rfind(")", opened, start) >= 0:
        return False
    closed = text.find(")", end)
    if closed < 0 or text.find("(", end, closed) >= 0:
        return False
    return not (opened < m.start and m.end <= closed)


def _far_condition(text: str, end: int, at: int) -> bool:
    """An "if" after a mention that is not its condition: past a comma ("CLEARED for intrathecal trial and, if the
    trial is successful, implantation") or more than five words on ("greater than 1 year with endocrine therapy plus a
    CDK4/6 inhibitor if the spine is stabilized"); "a morphine trial if pain worsens" is one."""
    between = text[end:at]
    return text[at:at + 2].lower() == "if" and ("," in between or len(between.split()) > 5)


def _mask(text: str, mentions: list[Mention]) -> str:
    chars = list(text)
    for m in mentions:
        chars[m.start:m.end] = " " * (m.end - m.start)
    return "".join(chars)


# An option left unticked on a form ("[x] CLEARED   [ ] NOT CLEARED") says nothing: the readers never see it.
_UNTICKED = re.compile(r"(?:\[ ?\]|\( ?\)|☐)[ \t]*[^\[\]()☐☒☑\n]*")


def _unchecked(text: str) -> str:
    return _UNTICKED.sub(lambda found: " " * len(found.group()), text)


def _without(text: str, rx: re.Pattern[str]) -> str:
    return rx.sub(" ", text)


_SENTENCE_OR_LINE = re.compile(r"(?<=[.!?;])\s+|\n")


def _own(text: str, c: Cues) -> str:
    """The note without its sentences and lines about relatives: what it says of the member's own care."""
    return "\n".join(part for part in _SENTENCE_OR_LINE.split(text) if not c.family.search(part))


@cache
def _patterns() -> tuple[tuple[Rule, re.Pattern[str], Anchor | None, bool], ...]:
    return tuple((rule, rx, anchor, bool(rx.flags & re.IGNORECASE))
                 for rule in rules() for rx, anchor in zip(rule.patterns, rule.anchors, strict=True))


@cache
def _opened_by() -> dict[str, tuple[int, ...]]:
    """An anchor key (a word's first letters) -> the patterns, by their place in _patterns(), it may open."""
    out: dict[str, list[int]] = defaultdict(list)
    for i, (_rule, _rx, anchor, _ic) in enumerate(_patterns()):
        for key in anchor.keys if anchor else ():
            out[key].append(i)
    return {k: tuple(v) for k, v in out.items()}


@cache
def _unanchored() -> tuple[int, ...]:
    return tuple(i for i, (_rule, _rx, anchor, _ic) in enumerate(_patterns()) if anchor is None)


def _mentions(text: str) -> list[Mention]:
    found: dict[tuple[str, int, int], Mention] = {}
    starts = starts_of(text)  # None: lower-casing moved offsets, every pattern is tried everywhere
    plan = _patterns()
    if starts is None:
        todo: list[int] | set[int] = range(len(plan))  # type: ignore[assignment]
    else:  # the patterns some word of the note may open, in their order
        todo, opened = set(_unanchored()), _opened_by()
        for key in starts.by:
            todo.update(opened.get(key, ()))
        todo = sorted(todo)
    for i in todo:
        rule, rx, anchor, ignore_case = plan[i]
        if anchor is None or starts is None:
            matches: Iterator[re.Match[str]] = rx.finditer(text)
        elif at := starts.at(anchor, ignore_case):
            matches = matches_at(rx, text, at)
        else:
            continue
        for m in matches:
            if m.end() > m.start():
                found.setdefault((rule.id, m.start(), m.end()), Mention(rule, m.start(), m.end(), m))
    out = sorted(found.values(), key=lambda m: (m.start, -m.end))
    keep = []
    before: list[Mention] = []  # the mentions so far that reach past this one's start: only they can contain it
    for m in out:
        before = [o for o in before if o.end > m.start]
        covering = [o for o in before if o.end >= m.end and (o.end - o.start) > (m.end - m.start)]
        before.append(m)
        if m.rule.id in _WIDE:
            if not any(o.rule.id == m.rule.id for o in covering):
                keep.append(m)
        elif not any(o.rule.id not in _WIDE for o in covering):
            keep.append(m)
    # a cause that starts inside another is its description ("failed back surgery syndrome with radicular pain")
    causes = [m for m in keep if m.rule.read == "etiology"]
    return [m for m in keep if m.rule.read != "etiology"
            or not any(o.start < m.start < o.end and o.rule.id != m.rule.id for o in causes)]


def _clause(text: str, start: int, end: int, m: Mention) -> tuple[int, int]:
    """The part of the sentence around the mention between clause breaks (`;`, `but`, `however` ...)."""
    cut_start, cut_end = start, end
    for b in _CLAUSE_BREAK.finditer(text, start, end):
        if b.end() <= m.start:
            cut_start = b.end()
        elif b.start() >= m.end and cut_end == end:
            cut_end = b.start()
    return cut_start, cut_end


def _after(text: str, clause: tuple[int, int], end: int, treated: list[tuple[int, str]], kind: str,
           separator: re.Pattern[str] | None = None) -> tuple[int, int] | None:
    """The clause after the `;` (or `separator`) that ends `clause`, up to the next break or the sentence's end, if
    no mention of another treatment starts in it (the same one named again is this one: "Oral baclofen taken for 12
    weeks; any dose above 60 mg caused weakness - oral baclofen intolerant")."""
    at = clause[1]
    if separator is None:
        if at >= end or text[at] != ";":
            return None
        at += 1
    else:
        found = separator.match(text, at, end)
        if not found:
            return None
        at = found.end()
    stop = next((b.start() for b in _CLAUSE_BREAK.finditer(text, at, end)), end)
    i = bisect.bisect_left(treated, (at, ""))
    while i < len(treated) and treated[i][0] < stop:
        if treated[i][1] != kind:
            return None
        i += 1
    return at, stop


_NEG = re.compile(r"^(?:no|not|without|never|denies|denied|negative for)\b", re.I)
_NEG_BEFORE = re.compile(r"(?<!\w)(?:no|without)\s+$", re.I)


def _own_negation(m: Mention, text: str) -> tuple[Modifier, ...]:
    """A pattern that carries its own negation ("no functional improvement"), or a "no" right before a pattern
    whose own first word a negation cue also holds ("no active infection": ConText's "no active" overlaps it)."""
    found = _NEG.match(m.match.group(0))
    if found and m.rule.read == "flag":
        return (Modifier("negated", m.start, m.start + found.end(), found.group(0)),)
    before = _NEG_BEFORE.search(text, max(0, m.start - 10), m.start)
    if before and m.rule.read in ("flag", "choice"):
        return (Modifier("negated", before.start(), before.start() + len(before.group(0).rstrip()),
                         before.group(0).rstrip()),)
    return ()


TREATMENT = "clinical.treatments[]"


def _complete_courses(facts: list[Fact]) -> tuple[list[Fact], list[SetAside]]:
    """A dated course with no outcome in its clause ("Plan of care: PT x12 wks ending 09/2025") and the undated
    mentions of that treatment whose outcome the note does state ("Physical therapy has been effective") are one
    course: the dated mention takes the outcome (each mention stays a fact of its own; merging into the case keeps
    each record once). With no such mention, or mentions that disagree, the course says nothing of how it went and
    is set aside, as an undated name is."""
    out, aside = list(facts), []
    for f in facts:
        if f.path != TREATMENT or "outcome" in f.value:
            continue
        out.remove(f)
        kind = f.value["type"]
        donors = [d for d in out if d.path == TREATMENT and d.value.get("type") == kind and "outcome" in d.value
                  and not {"start", "end"} & set(d.value)]
        outcomes = {d.value["outcome"] for d in donors}
        if len(outcomes) != 1 or ("end" in f.value and outcomes == {"ongoing"}):  # an ended course is not ongoing
            aside.append(SetAside(f.path, f.start, f.end, f.text, f.rule, "no_value"))
            continue
        out.append(Fact(f.path, {**f.value, "outcome": outcomes.pop()}, f.start, f.end, f.text, f.rule, f.modifiers,
                        0.7, f.section))
    out.sort(key=lambda x: x.start)
    return out, aside


def _without_restated_responses(facts: list[Fact], bounds: list[int]) -> list[Fact]:
    """An assessment's "intolerant of oral baclofen" sums up the response (its spasticity fact), not a course of it
    (once it has lent its outcome to the dated course, _complete_courses): a course where its sentence says how long
    it was taken ("unresponsive to 30 weeks of oral baclofen")."""
    def sentence(f: Fact) -> int:
        return bisect.bisect_right(bounds, f.start)

    timed = {sentence(f) for f in facts if f.path == "clinical.spasticity.oral_baclofen_weeks"}
    return [f for f in facts if not (f.path == TREATMENT and f.value.get("type") == "oral_baclofen"
                                     and f.section == "assessment" and not {"start", "end"} & set(f.value)
                                     and sentence(f) not in timed)]


# A header the section rules do not know ("EVALUATIONS", "Devices:") still ends the section before it: what
# follows "FHx: son w/ schizophrenia" under it is not the family's.
# In a note written in capitals (a fax) a line in capitals is not a header by that alone.
_OTHER_HEADER = re.compile(r"^[ \t]*(?:[A-Z][A-Z0-9 &/()'-]{2,40}(?:\([^()\n]{0,40}\))?|[A-Z][A-Za-z0-9 &/()'-]{2,40}:)"
                           r"[ \t]*:?[ \t]*$", re.M)  # "EVALUATIONS", "CONSERVATIVE TX (records attached)", "Devices:"
_COLON_HEADER = re.compile(r"^[ \t]*[A-Z][A-Za-z0-9 &/()'-]{2,40}:[ \t]*$", re.M)


def _headers(text: str) -> re.Pattern[str]:
    letters = [ch for ch in text if ch.isalpha()]
    return _COLON_HEADER if sum(ch.isupper() for ch in letters) > 0.6 * len(letters) else _OTHER_HEADER


def _section_end(text: str, headers: re.Pattern[str], title_end: int, end: int, category: str) -> int:
    found = headers.search(text, text.find("\n", title_end) + 1 or end, end)
    end = found.start() if found else end
    if category == "family_history":  # a paragraph: "FHx: son w/ schizophrenia." ends at a blank line, or at the
        blank = _BLANK_LINE.search(text, title_end, end)  # next labelled line ("Psych ROS: denies SI/HI")
        end = blank.start() if blank else end
        labelled = _LABELLED_LINE.search(text, title_end, end)
        end = labelled.start() if labelled else end
    return end


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LABELLED_LINE = re.compile(r"\n[ \t]*[A-Z][A-Za-z/&'-]*(?: [A-Za-z/&'-]+){0,3}:")


ORIGIN = "clinical.spasticity.origin"
# "T6 SCI (2019) with spasticity of spinal origin" states the origin once, in the diagnosis's own clause; "T6 SCI
# (2019). Spinal-origin spasticity" and "cerebral palsy - spasticity of cerebral origin" twice
_CLAUSE_END = re.compile(r"[.!?;](?=\s)|\n|\s[-–]\s")
SIDE_EFFECTS = "clinical.trial_result.side_effects"
_TRIAL_DONE = {f"clinical.trial_result.{k}"
               for k in ("method", "pain_reduction_percent", "pain_after", "function_improved", "adl_improved")}


def _dedupe(facts: list[Fact], note: str, title_end: int = 0) -> list[Fact]:
    """One fact per span and value; one evaluation per kind and result in a note unless dated apart (its title and
    its conclusion name the same evaluation: the last, the conclusion, is kept); the spasticity's origin as stated
    ("spinal origin") rather than read from a diagnosis ("MS"), which the note may name many times: only the
    diagnosis that comes first, before the origin is stated and not in the clause that states it, is kept beside
    it (or alone, when the origin is never stated)."""
    stated = [f for f in facts if f.rule == "origin_stated"]
    origins = [f for f in facts if f.path == ORIGIN]
    # and the diagnosis that opens the note before the origin is stated ("Diagnosis: spastic diplegic cerebral palsy
    # ... spasticity of cerebral origin"), when they agree; not a clinic's name in the title ("MS Center")
    diagnosed = [f for f in origins if f not in stated and f.start >= title_end][:1]
    keep_origins = stated + [f for f in diagnosed if f.start < stated[0].start and f.value == stated[0].value
                             and _CLAUSE_END.search(note, f.end, stated[0].start)] if stated else origins[:1]
    facts = [f for f in facts if f.path != "clinical.spasticity.origin" or f in keep_origins]
    # a list of side effects the trial did not have ("no nausea or pruritus") says none only in a note that reports
    # a trial (its method or its result) and names no side effect it had
    had = any(f.path == SIDE_EFFECTS and f.value != "none" for f in facts)
    trial = any(f.path in _TRIAL_DONE for f in facts)
    facts = [f for f in facts if not ((had or not trial) and f.rule == "trial_side_effects_absent")]
    # a course told day by day: the last day's score is the trial's result, the earlier days' are its course
    days = [f for f in facts if f.rule == "trial_day_score"]
    facts = [f for f in facts if f.rule != "trial_day_score" or f is max(days, key=lambda d: d.start)]
    seen: dict[tuple, int] = {}
    out: list[Fact] = []
    for f in facts:
        if f.path == "clinical.evaluations[]":
            # a specialty we do not name is told apart by the service's own name ("Colorectal surgery", "Palliative")
            named = f.text.split(None, 1)[0].lower() if f.value.get("specialty") == "other" else ""
            key = (f.path, f.value.get("type"), f.value.get("specialty"), f.value.get("result"), named)
            # the conclusion, not the title that announces it ("PSYCHOLOGICAL CLEARANCE"); an evaluation dated
            # apart from it ("Psychology (Dr. X) 12/2025: cleared" ... "Psych clearance on file") is its own saying
            if key in seen and out[seen[key]].value.get("date") in (None, f.value.get("date")):
                out[seen[key]] = f
                continue
            seen.pop(key, None)
        else:
            key = (f.path, repr(f.value), f.start, f.end)
        if key not in seen:
            seen[key] = len(out)
            out.append(f)
    return out
