"""A policy's criteria compiled to Python source: the leaf tests and the three-valued combining inlined.

From the flat program (program.py, which stays the reference a test holds this code to, verdict for verdict
and detail for detail) two functions are generated: `verdicts(facts)`, every node's status, and
`explained(facts)`, the statuses and each applied leaf's Outcome (verdict, facts read, detail), recorded
during that same pass. What is inlined:

- `when` conditions, as `if` blocks around the subtree they guard (a `first` group as `if`/`elif`/`else`);
  criteria with the same condition share one flag;
- the Kleene tables of logic.py, as expressions over the children's verdicts;
- `fact` and `none_present` tests: each fact is read where a test that applies needs it (once, when several
  read it) and compared in place; with an explanation, a leaf's Outcome is a function of the values it read,
  so it is made once per distinct value and shared (Outcomes are never changed);
- `treatment` and `therapy_duration` tests: counted together in one pass over the treatments;
- in `verdicts`, evaluation, drug-screen and elapsed-time tests, each a short loop or a comparison.

The drug tests, and in `explained` the evaluations, drug screens and elapsed time, are called as their
compiled predicates (their outcome describes what they read). The source reads only the names it is executed
with (the predicates, helpers and per-leaf outcome memos of this policy set's code), so identical source is
identical code: compiled code objects are cached by the SHA-256 of their source, and hold no state of their own:
in memory, and on disk in the cache directory (`PRIORAUTH_CACHE_DIR`, as the ICD-10 index), so a new process does
not compile again.
"""

from __future__ import annotations

import datetime as dt
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from hashlib import sha256
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any, NamedTuple

from priorauth import __version__
from priorauth.case.dates import add_months
from priorauth.case.paths import accessor, attribute_chain
from priorauth.engine.facts import Facts
from priorauth.engine.predicates import FULL, Outcome, fact_detail, none_present_outcome, treatment_interval
from priorauth.engine.program import ALL, ANY, AT_LEAST, FIRST, NOT, TEST, Condition, Program
from priorauth.knowledge.icd10 import cache_dir
from priorauth.vocab import MET, NOT_MET, SKIPPED, UNKNOWN

_CODE: dict[str, CodeType] = {}  # source digest -> compiled code; code objects are immutable
_CODE_LIMIT = 256
UNREAD = object()  # a fact several tests read, before the first of them runs
_READ = "\0read "  # marks, in a body being written, where a test reads a fact
MEMO_LIMIT = 256  # distinct outcomes kept per leaf (a leaf's outcome is a function of the values it read)


class Generated(NamedTuple):
    """One policy version's generated code."""

    source: str
    digest: str  # SHA-256 of the source
    verdicts: Callable[[Facts], list[str]]
    explained: Callable[[Facts], tuple[list[str], dict[int, Outcome]]]
    inlined: int  # leaf tests inlined
    called: int  # leaf tests called as compiled predicates


class Code:
    """A policy version's generated code, written and compiled when first used: a `check` of one case pays only
    for the policies that read it (about 6 ms a policy)."""

    __slots__ = ("program", "name", "_generated")

    def __init__(self, program: Program, name: str):
        self.program = program
        self.name = name
        self._generated: Generated | None = None

    def get(self) -> Generated:
        generated = self._generated
        if generated is None:  # two threads may both generate: the same code, harmless
            generated = self._generated = generate(self.program, self.name)
        return generated


def generate(program: Program, name: str) -> Generated:
    writer = _Writer(program)
    source = writer.module(name)
    digest = sha256(source.encode()).hexdigest()
    code = _CODE.get(digest) or _compiled(source, digest, name)
    if len(_CODE) < _CODE_LIMIT:
        _CODE[digest] = code
    namespace = dict(writer.env)
    exec(code, namespace)
    return Generated(source, digest, namespace["verdicts"], namespace["explained"], writer.inlined, writer.called)


# Condition attribute -> the local the generated code reads it into; local -> the Facts attribute.
def _compiled(source: str, digest: str, name: str) -> CodeType:
    """The code object of `source`: read from the disk cache when a run of this Python wrote it, else compiled
    and written there (atomically; a cache that cannot be read or written is only slower)."""
    path = cache_dir() / "codegen" / f"{digest}.{sys.implementation.cache_tag}.marshal"
    try:
        data = path.read_bytes()
        if data[:len(MAGIC_NUMBER)] == MAGIC_NUMBER:
            return marshal.loads(data[len(MAGIC_NUMBER):])
    except (OSError, ValueError, EOFError, TypeError):
        pass
    code = compile(source, f"<priorauth {name}>", "exec")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC_NUMBER + marshal.dumps(code))
        Path(tmp).replace(path)
    except OSError:
        pass
    return code


_REQUEST = {"kinds": "kind", "indications": "indication", "routes": "route", "lobs": "lob", "states": "state"}
_LOCALS = {"kind": "kind", "indication": "indication", "route": "route", "lob": "line_of_business",
           "state": "state", "age": "age", "drugs": "drugs"}


def _literal(value: Any) -> str | None:
    """Python source for a plain value, or None when it has none we write."""
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return repr(value)
    return None


def _set_literal(values) -> str | None:
    """A set display in a stable order; Python turns `x in {...}` of constants into one frozenset constant."""
    shown = [_literal(v) for v in values]
    if not shown or None in shown:
        return None
    return "{" + ", ".join(sorted(shown)) + "}"


class _Writer:
    def __init__(self, program: Program):
        self.p = program
        # (kind, parameters) of each leaf test, read once (a node's spec is a pydantic private attribute)
        self.specs = [n.spec if n.test is not None else None for n in program.nodes]
        self.env: dict[str, Any] = {
            "Outcome": Outcome, "fact_detail": fact_detail, "add_months": add_months, "FULL": FULL,
            "treatment_interval": treatment_interval, "none_present_outcome": none_present_outcome,
            "MEMO_LIMIT": MEMO_LIMIT, "DATE_MIN": dt.date.min, "UNREAD": UNREAD}
        self.constants: dict[str, str] = {}  # module-level constant lines of the source, by name
        self.inlined = self.called = 0

    # --- names ------------------------------------------------------------------------------------------

    def bind(self, name: str, value: Any) -> str:
        """A name the source reads from its namespace (a predicate, a helper, a table)."""
        self.env[name] = value
        return name

    def constant(self, name: str, values) -> str:
        """A frozenset written into the source (for `isdisjoint`, which a set display would rebuild per call)."""
        shown = _set_literal(values)
        self.constants[name] = f"{name} = frozenset({shown})" if shown else None
        if shown is None:
            self.env[name] = frozenset(values)
        return name

    def members(self, name: str, values) -> str:
        """`values` as the right side of `in`: a set display when they are plain, else a bound frozenset."""
        return _set_literal(values) or self.bind(name, frozenset(values))

    # --- the module -------------------------------------------------------------------------------------

    def module(self, name: str) -> str:
        fast = self.function("verdicts", explain=False)
        full = self.function("explained", explain=True)
        head = [f'"""{name}: generated by priorauth {__version__} (engine/codegen.py); regenerated at load."""', ""]
        consts = [line for line in self.constants.values() if line]
        return "\n".join(head + consts + ["", ""] + fast + ["", ""] + full) + "\n"

    def function(self, fn: str, explain: bool) -> list[str]:
        p = self.p
        self.explain = explain
        self.uses: set[str] = set()  # request-level locals the conditions read
        self.facts: dict[str, str] = {}  # fact path -> local
        self.reads: dict[str, int] = {}  # fact path -> the places that read it
        self.counting = count = [i for i, spec in enumerate(self.specs)
                                 if spec is not None and spec[0] in ("treatment", "therapy_duration")]
        self.inlined = self.called = 0
        self.windows: set[int] = set()  # look-back months of the counted tests
        self.guard: dict[int, str | None | bool] = {}  # node -> the flag it applies under (None: always)
        self.own: set[int] = set()  # nodes whose `when` (or `first` parent) sets a flag of their own
        flags: list[str] = []
        self.flags: dict[str, str] = {}  # a flag's expression -> the first flag set to it
        self.flag(p.root, None, None, flags)
        count = self.counting = [i for i in count if self.guard[i] is not False]
        body: list[str] = []
        self.emit(p.root, 1, body)

        out = [f"def {fn}(facts):", "    case = facts.case", "    as_of = facts.as_of"]
        out += [f"    {local} = facts.{_LOCALS[local]}" for local in sorted(self.uses)]
        shared = [local for path, local in self.facts.items() if self.reads[path] > 1]
        if shared:
            out.append("    " + " = ".join(shared) + " = UNREAD")
        skippable: set[int] = set()  # nodes a `when` or a `first` group can leave not applying
        for i in range(len(p.nodes)):
            guarded = [i] if p.whens[i] is not None else list(p.kids[i]) if p.ops[i] == FIRST else []
            for k in guarded:
                skippable.update(range(p.spans[k][0], p.spans[k][1] + 1))
        if skippable:
            out.append("    " + " = ".join(f"v{k}" for k in sorted(skippable)) + f" = {SKIPPED!r}")
        out.extend("    " + line for line in flags)
        if explain:
            out.append("    O = {}")
        counting = self.treatment_pass(count) if count else []
        # the look-back windows the tests share (add_months is calendar arithmetic: computed once a case)
        out.extend(f"    ws{m} = add_months(as_of, -{m})" for m in sorted(self.windows))
        out.extend("    " + line for line in counting)
        out.extend(self.expand_reads(body))
        verdicts = "[" + ", ".join(f"v{i}" for i in range(len(p.nodes))) + "]"
        out.append(f"    return {verdicts}, O" if explain else f"    return {verdicts}")
        return out

    def use(self, path: str, pad: str, out: list[str]) -> str:
        """The local holding a fact, read where a test needs it (so a test that does not apply reads nothing): a
        marker line here, which expand_reads writes out once it knows how many places read the fact."""
        local = self.facts.setdefault(path, f"f{len(self.facts)}")
        self.reads[path] = self.reads.get(path, 0) + 1
        out.append(f"{pad}{_READ}{path}")
        return local

    def expand_reads(self, body: list[str]) -> list[str]:
        """A fact one test reads is read in place; one several read, the first time one of them runs."""
        out = []
        for line in body:
            pad, marker, path = line.partition(_READ)
            if not marker:
                out.append(line)
                continue
            local = self.facts[path]
            if self.reads[path] == 1:
                out.extend(pad + read for read in self.read(path, local))
            else:
                out.append(f"{pad}if {local} is UNREAD:")
                out.extend(f"{pad}    {read}" for read in self.read(path, local))
        return out

    def read(self, path: str, local: str) -> list[str]:
        chain = attribute_chain(path)
        if chain is None:  # a derived fact: its function
            return [f"{local} = {self.bind('get_' + local, accessor(path))}(case)"]
        parts, optional = chain
        if not optional:
            return [f"{local} = case.{'.'.join(parts)}"]
        lines = [f"{local} = case.{parts[0]}"]
        lines += [f"{local} = {local}.{part} if {local} is not None else None" for part in parts[1:]]
        return lines

    # --- the one pass over the treatments ---------------------------------------------------------------

    def window(self, months: int | None) -> str:
        if not months:
            return "None"
        self.windows.add(months)
        return f"ws{months}"

    def treatment_pass(self, leaves: list[int]) -> list[str]:
        p = self.p
        setup: list[str] = []
        loop = ["for j, t in enumerate(case.clinical.treatments):", "    ty = t.type", "    oc = t.outcome"]
        for i in leaves:
            kind, _ = self.specs[i]
            parts = p.preds[i].parts
            ws = self.window(parts.within_months)
            setup.append(f"c{i} = x{i} = 0  # {p.nodes[i].id}")
            applies = f"{self.guard[i]} and " if self.guard[i] else ""
            loop += [f"    if {applies}ty in {self.members(f'T{i}', parts.types)}:", f"        c{i} += 1"]
            if kind == "treatment":
                setup.append(f"m{i} = None")
                test = f"m{i} is None and {self.qualifies(i, ws)}"
                then = [f"m{i} = j"]
            else:
                setup += [f"L{i} = []", f"K{i} = []"]
                test = f"oc in {self.members(f'OK{i}', parts.outcomes)}"
                then = ["iv = treatment_interval(t, as_of)"]
                if ws == "None":
                    then += ["if iv is not None:", f"    L{i}.append(iv)", f"    K{i}.append(j)"]
                else:
                    then += [f"if iv is not None and iv[1] >= {ws}:", f"    L{i}.append((max(iv[0], {ws}), iv[1]))",
                             f"    K{i}.append(j)"]
            if parts.contradicting:
                loop += [f"        if oc in {self.members(f'X{i}', parts.contradicting)}:", f"            x{i} += 1",
                         f"        elif {test}:"]
            else:
                loop.append(f"        if {test}:")
            loop += ["            " + line for line in then]
        return setup + loop

    def qualifies(self, i: int, ws: str) -> str:
        """Whether treatment `t` qualifies for test i: the outcome (and schedule) in place when the test counts no
        time, else its compiled shortfall, which works out the course's interval."""
        spec = self.specs[i][1]
        if ws != "None" or spec.min_days is not None or spec.min_months is not None:
            return f"{self.bind(f'S{i}', self.p.preds[i].parts.shortfall)}(t, facts, {ws}) is None"
        test = f"oc in {self.members(f'OC{i}', spec.outcomes)}"
        if spec.schedule:
            test += f" and t.schedule == {spec.schedule!r}"
        if spec.qualify_without_trial:
            test = f"(oc in {self.members(f'FREE{i}', spec.qualify_without_trial)} or {test})"
        return test

    # --- the tree ---------------------------------------------------------------------------------------

    def flag(self, i: int, outer: str | None | bool, own: str | None, lines: list[str]) -> None:
        """Set, in pre-order, the flag each node applies under: `a{i} = outer and (its when)`, computed once at
        the top, so the pass over the treatments counts only for the tests that apply."""
        p = self.p
        if outer is False:
            flag: str | None | bool = False
        elif own is not None:
            flag = f"a{i}"
            lines.append(f"{flag} = {own}")
            self.own.add(i)
        elif p.whens[i] is not None:
            flag = f"a{i}"
            cond = self.condition(p.whens[i], f"W{i}")
            expr = f"{outer} and ({cond})" if outer else cond
            same = self.flags.setdefault(expr, flag)  # sibling criteria often share one `when`
            lines.append(f"{flag} = {expr if same == flag else same}")
            self.own.add(i)
        else:
            flag = outer
        self.guard[i] = flag
        if p.ops[i] != FIRST:
            for k in p.kids[i]:
                self.flag(k, flag, None, lines)
            return
        # `first`: the first branch whose `when` holds governs; the ones after it do not apply
        taken: list[str] = []
        for k in p.kids[i]:
            when = p.whens[k]
            if flag is False or taken is None:
                self.flag(k, False, None, lines)
                continue
            parts = ([flag] if flag else []) + ([f"not ({' or '.join(taken)})"] if taken else [])
            if when is not None:
                parts.append(f"({self.condition(when, f'W{k}')})")
            if parts:
                self.flag(k, flag, " and ".join(parts), lines)
            else:  # an unguarded first branch: it applies whenever the group does
                self.flag(k, flag, None, lines)
            if when is None:
                taken = None  # the branches after an unguarded one never apply
            else:
                taken.append(f"a{k}")
        if taken is not None:
            raise ValueError(f"criterion {p.nodes[i].id}: the last branch of a `first` group must have no `when`")

    def emit(self, i: int, depth: int, out: list[str], then: str | None = None) -> None:
        """The code that sets v{i} (and then runs `then`), inside `if a{i}:` when the node has a flag of its own."""
        if self.guard[i] is False:
            return
        if i in self.own:
            out.append("    " * depth + f"if a{i}:")
            depth += 1
        self.block(i, depth, out)
        if then:
            out.append("    " * depth + then)

    def block(self, i: int, depth: int, out: list[str]) -> None:
        p, pad = self.p, "    " * depth
        op, kids, node = p.ops[i], p.kids[i], p.nodes[i]
        if op == TEST:
            out.append(f"{pad}# {node.id} ({' '.join(node.section.split())})")
            self.leaf(i, pad, out)
            return
        if op == FIRST:
            self.first(i, depth, out)
            return
        for k in kids:
            self.emit(k, depth, out)
        vs = "(" + ", ".join(f"v{k}" for k in kids) + ("," if len(kids) == 1 else "") + ")"
        if op == ALL:
            expr = f"{NOT_MET!r} if {NOT_MET!r} in {vs} else {UNKNOWN!r} if {UNKNOWN!r} in {vs} else {MET!r}"
        elif op == ANY:
            expr = f"{MET!r} if {MET!r} in {vs} else {UNKNOWN!r} if {UNKNOWN!r} in {vs} else {NOT_MET!r}"
        elif op == NOT:  # a skipped child leaves nothing to negate: met
            (k,) = kids
            expr = f"{NOT_MET!r} if v{k} == {MET!r} else {UNKNOWN!r} if v{k} == {UNKNOWN!r} else {MET!r}"
        else:
            assert op == AT_LEAST
            n = p.ns[i]
            met = " + ".join(f"(v{k} == {MET!r})" for k in kids) or "0"
            unknown = " + ".join(f"(v{k} == {UNKNOWN!r})" for k in kids) or "0"
            out.append(f"{pad}m = {met}")
            out.append(f"{pad}u = {unknown}")
            expr = f"{MET!r} if m >= {n} else {NOT_MET!r} if m + u < {n} else {UNKNOWN!r}"
        out.append(f"{pad}v{i} = {expr}  # {node.id}")

    def first(self, i: int, depth: int, out: list[str]) -> None:
        """Each branch under its flag (at most one holds); the governing branch's verdict is the group's."""
        for k in self.p.kids[i]:
            self.emit(k, depth, out, then=f"v{i} = v{k}  # {self.p.nodes[i].id}")

    def condition(self, c: Condition, name: str) -> str:
        parts = []
        for attr, local in _REQUEST.items():
            values = getattr(c, attr)
            if values is not None:
                self.uses.add(local)
                parts.append(f"{local} in {self.members(f'{name}_{local}', values)}")
        if c.age_under is not None:
            self.uses.add("age")
            parts.append(f"(age is not None and age < {c.age_under!r})")
        if c.drugs_any is not None:
            self.uses.add("drugs")
            parts.append(f"not {self.constant(f'{name}_ANY', c.drugs_any)}.isdisjoint(drugs)")
        if c.drugs_none is not None:
            self.uses.add("drugs")
            parts.append(f"{self.constant(f'{name}_NONE', c.drugs_none)}.isdisjoint(drugs)")
        if c.classes_any is not None:
            self.uses.add("drugs")
            class_of = self.bind("CLASS_OF", c.class_of)
            parts.append(f"any({class_of}.get(d) in {self.members(f'{name}_CLASSES', c.classes_any)} for d in drugs)")
        if c.negated is not None:
            parts.append(f"not ({self.condition(c.negated, name + '_NOT')})")
        return " and ".join(parts) or "True"

    # --- leaves -----------------------------------------------------------------------------------------

    def leaf(self, i: int, pad: str, out: list[str]) -> None:
        p = self.p
        kind = self.specs[i][0] if self.specs[i] is not None else "refer"
        if kind == "fact":
            self.fact(i, pad, out)
        elif kind == "none_present":
            self.none_present(i, pad, out)
        elif kind in ("treatment", "therapy_duration"):
            self.inlined += 1
            ws = self.window(p.preds[i].parts.within_months)
            finish = self.bind(f"F{i}", p.preds[i].parts.finish)
            state = f"m{i}, c{i}, x{i}" if kind == "treatment" else f"L{i}, K{i}, c{i}, x{i}"
            if self.explain:
                out.append(f"{pad}O[{i}] = o = {finish}(facts, {ws}, {state}, FULL)")
                out.append(f"{pad}v{i} = o[0]")
            elif kind == "treatment":
                out.append(f"{pad}v{i} = {MET!r} if m{i} is not None else {NOT_MET!r} if c{i} and x{i} == c{i} "
                           f"else {UNKNOWN!r}")
            else:
                out.append(f"{pad}v{i} = {finish}(facts, {ws}, {state})")
        elif not self.explain and kind in self.INLINE_VERDICT:
            self.INLINE_VERDICT[kind](self, i, pad, out)
        else:
            self.called += 1
            pred = self.bind(f"P{i}", p.preds[i])
            if self.explain:
                out.append(f"{pad}O[{i}] = o = {pred}(facts, FULL)")
                out.append(f"{pad}v{i} = o[0]")
            elif kind == "refer":
                out.append(f"{pad}v{i} = {UNKNOWN!r}")
            else:
                out.append(f"{pad}v{i} = {pred}(facts)")

    # The verdict alone of an evaluation, drug screen or elapsed-time test, written out as predicates.py computes
    # it (with an explanation, the compiled predicate is called: its outcome lists what it read).

    def evaluation(self, i: int, pad: str, out: list[str]) -> None:
        """The latest evaluation of the type with a result that decides (undated: oldest; among equals the later
        in the record) gives the verdict."""
        spec = self.specs[i][1]
        good, bad = self.members(f"GOOD{i}", spec.met), self.members(f"BAD{i}", spec.not_met)
        test = [f"e.type == {spec.type!r}"]
        if spec.specialties:
            test.append(f"e.specialty in {self.members(f'SPEC{i}', spec.specialties)}")
        if spec.within_months:
            test.append(f"e.date is not None and e.date >= {self.window(spec.within_months)}")
        out += [f"{pad}r{i} = d{i} = None",
                f"{pad}for e in case.clinical.evaluations:",
                f"{pad}    if {' and '.join(test)}:",
                f"{pad}        r = e.result",
                f"{pad}        if r in {good}{f' or r in {bad}' if spec.not_met else ''}:",
                f"{pad}            d = e.date or DATE_MIN",
                f"{pad}            if d{i} is None or d >= d{i}:",
                f"{pad}                d{i}, r{i} = d, r",
                f"{pad}v{i} = {MET!r} if r{i} in {good} else {NOT_MET!r} if r{i} is not None else {UNKNOWN!r}"]

    def drug_test(self, i: int, pad: str, out: list[str]) -> None:
        """Any positive screen in the window fails; a negative one in it meets; none there is unknown."""
        months = self.specs[i][1].within_months
        start = self.window(months) if months else "as_of"
        out += [f"{pad}v{i} = {UNKNOWN!r}",
                f"{pad}for s in case.clinical.drug_screens:",
                f"{pad}    if {start} <= s.date <= as_of:",
                f"{pad}        if s.result == 'positive':",
                f"{pad}            v{i} = {NOT_MET!r}",
                f"{pad}            break",
                f"{pad}        v{i} = {MET!r}"]

    def elapsed_since(self, i: int, pad: str, out: list[str]) -> None:
        spec = self.specs[i][1]
        x = self.use(spec.fact, pad, out)
        months = spec.min_months
        cutoff = self.window(int(months)) if months == int(months) and months > 0 else \
            f"{self.bind(f'CUT{i}', self.p.preds[i].cutoff_for)}(as_of)"
        out.append(f"{pad}v{i} = {UNKNOWN!r} if {x} is None else {MET!r} if {x} <= {cutoff} else {NOT_MET!r}")

    INLINE_VERDICT = {"evaluation": evaluation, "drug_test": drug_test, "elapsed_since": elapsed_since}

    def fact(self, i: int, pad: str, out: list[str]) -> None:
        self.inlined += 1
        spec = self.specs[i][1]
        parts = self.p.preds[i].parts
        path = spec.fact
        x = self.use(path, pad, out)
        test = self.check(i, spec, x)
        missing = repr(parts.missing)
        if not self.explain:
            out.append(f"{pad}v{i} = {missing} if {x} is None else {MET!r} if {test} else {NOT_MET!r}")
            return
        absent = self.bind(f"N{i}", Outcome(parts.missing, {path: None}, f"{path} not documented"))
        make = f"Outcome(v{i}, {{{path!r}: {x}}}, fact_detail({path!r}, {x}, v{i}, {parts.label!r}))"
        out += [f"{pad}if {x} is None:",
                f"{pad}    v{i} = {missing}",
                f"{pad}    O[{i}] = {absent}",
                f"{pad}else:",
                f"{pad}    v{i} = {MET!r} if {test} else {NOT_MET!r}"]
        if spec.present:  # the value may be a list: not a key
            out.append(f"{pad}    O[{i}] = {make}")
            return
        # The outcome is a function of the value alone: made once per distinct value (its class too: 1 == True)
        self.memoized(i, pad + "    ", f"({x}.__class__, {x})", make, out)

    def none_present(self, i: int, pad: str, out: list[str]) -> None:
        self.inlined += 1
        parts = self.p.preds[i].parts
        values = "(" + ", ".join([self.use(path, pad, out) for path in parts.paths]) + \
            ("," if len(parts.paths) == 1 else "") + ")"
        unknown = "" if parts.absent_if_missing else f"{UNKNOWN!r} if None in {values} else "
        out.append(f"{pad}v{i} = {NOT_MET!r} if True in {values} else {unknown}{MET!r}")
        if self.explain:  # the values are booleans or None: one outcome per combination, made once
            self.memoized(i, pad, values,
                          f"none_present_outcome(v{i}, {parts.paths!r}, k, {parts.absent_if_missing!r})", out)

    def memoized(self, i: int, pad: str, key: str, make: str, out: list[str]) -> None:
        """`O[i]`: the outcome kept for `key` in leaf i's memo, else `make` (which may read `k`), kept while the memo
        has room."""
        memo = self.bind(f"M{i}", {})
        out += [f"{pad}k = {key}",
                f"{pad}o = {memo}.get(k)",
                f"{pad}if o is None:",
                f"{pad}    o = {make}",
                f"{pad}    if len({memo}) < MEMO_LIMIT:",
                f"{pad}        {memo}[k] = o",
                f"{pad}O[{i}] = o"]

    def check(self, i: int, spec, x: str) -> str:
        """The comparison of a `fact` test, as predicates._compile_fact makes it."""
        def value(v: Any, name: str) -> str:
            return _literal(v) or self.bind(name, v)

        if spec.present:
            return f"{x} not in ('', ())"
        if spec.eq is not None:
            return f"{x} == {value(spec.eq, f'EQ{i}')}"
        if spec.ne is not None:
            return f"{x} != {value(spec.ne, f'NE{i}')}"
        if spec.in_ is not None:
            return f"{x} in {self.members(f'IN{i}', spec.in_)}"
        if spec.not_in is not None:
            return f"{x} not in {self.members(f'OUT{i}', spec.not_in)}"
        if spec.between is not None:
            low, high = spec.between
            return f"{value(low, f'LOW{i}')} <= {x} <= {value(high, f'HIGH{i}')}"
        op = next(o for o in ("gte", "gt", "lte", "lt") if getattr(spec, o) is not None)
        symbol = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}[op]
        return f"float({x}) {symbol} {value(float(getattr(spec, op)), f'BOUND{i}')}"
