"""Engine benchmark: throughput, overhead against a hand-written rule, and CLI peak memory.

    python bench/bench_engine.py [--cases N] [--seconds S] [--seed SEED]

Figures (see bench/README.md):
  a. engine throughput: case x policy determinations per second, every policy, `evaluate_case` plus
     `Determination.to_dict("full")` (trace included), one core, case parsing excluded; decision mix.
  b. CareSource AR PASSE-MM-1502, non-malignant trial requests only: a hand-written plain-Python rule
     against the engine (`determine` for that one policy), ratio, and decision agreement.
  c. peak RSS of `priorauth check CASE --format json` in a child process.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from generate import DEFAULT_SEED, generate_json
from priorauth.case.model import Case
from priorauth.engine import CompiledPolicies
from priorauth.engine.evaluate import determine, evaluate_case
from priorauth.knowledge import open_knowledge
from priorauth.policy.loader import load_policies

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "priorauth"
CLI_CASE = Path("/work/shared/cases/noncancer-trial-complete.json")
CARESOURCE = "caresource-ar-mm-1502"

TARGET_RATE = 10_000  # determinations per second, one core
TARGET_RATIO = 3.0  # engine time / hand-written time
TARGET_RSS_MB = 150.0
DECISIONS = ("approve", "deny", "pend", "refer", "not_applicable")


# --- b. CareSource AR PASSE-MM-1502, non-malignant TRIAL, written by hand ---------------------------------
#
# Sections I.A-F, VI (contraindications) and IV.A-H, read as the policy file reads them: an absent fact is
# undocumented (unknown), never false; ALL: any not met -> deny, else any unknown -> pend, else approve;
# the contraindication list of VI only excludes (undocumented = absent); "no evidence of current abuse"
# (IV.D.1) fails only on documented active use. Look-backs count back from the submission date.

_EFFECTIVE = dt.date(2024, 6, 1)
_ACTIVE = frozenset({"physical_therapy", "occupational_therapy", "home_exercise_program", "chiropractic"})
_INACTIVE = frozenset({"rest", "ice_heat", "tens", "systemic_opioids", "transdermal_opioids",
                       "oral_nonopioid_analgesics", "nsaids", "otc_analgesics"})
_FAILED = frozenset({"failed", "intolerable_side_effects", "unable_to_complete"})
_COUNTS_FOR_DURATION = _FAILED | {"ongoing"}
_COULD_NOT_COMPLETE = frozenset({"unable_to_complete", "contraindicated", "intolerable_side_effects"})
_FDA_INTRATHECAL_PAIN = frozenset({"morphine", "ziconotide"})
_SIX_MONTHS_DAYS = 183  # 6 x 365.2425 / 12, rounded up


def _months_back(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def _six_months_within_year(treatments, types: frozenset[str], submitted: dt.date) -> bool | None:
    """True: >= 6 months covered in the past 12; False: only courses documented effective; None: unknown."""
    window = _months_back(submitted, 12)
    spans = []
    seen = effective = 0
    for t in treatments:
        if t.type not in types:
            continue
        seen += 1
        if t.outcome == "effective":
            effective += 1
            continue
        if t.outcome not in _COUNTS_FOR_DURATION or t.start is None or t.start > submitted:
            continue
        end = min(t.end or (submitted if t.outcome == "ongoing" else t.start), submitted)
        if end < window:
            continue
        spans.append((max(t.start, window), end))
    days = 0
    last = None
    for start, end in sorted(spans):
        if last is not None and start <= last:
            start = last + dt.timedelta(days=1)
        if end >= start:
            days += (end - start).days + 1
            last = end
    if days >= _SIX_MONTHS_DAYS:
        return True
    return False if seen and effective == seen else None


_OPIOIDS = frozenset({"morphine", "hydromorphone", "fentanyl", "sufentanil", "methadone"})


def caresource_noncancer_trial(case: Case) -> str:
    """The decision of CareSource AR PASSE-MM-1502 for a non-malignant pain trial request."""
    req, cl = case.request, case.clinical
    if req.service_date < _EFFECTIVE:
        return "not_applicable"
    unknown = False

    def check(ok: bool | None) -> bool:
        """Record an unknown; return True when the criterion is documented as not met."""
        nonlocal unknown
        if ok is None:
            unknown = True
            return False
        return not ok

    def eq(value, want) -> bool | None:
        return None if value is None else value == want

    # I.A behavioral factors addressed and failed
    if check(eq(cl.behavioral_factors_addressed, True)):
        return "deny"
    # I.B intrathecal route, and every drug FDA-approved for intrathecal pain management
    route = eq(req.route, "intrathecal")
    drugs = None if not req.drugs else all(d.name in _FDA_INTRATHECAL_PAIN for d in req.drugs)
    if route is False or drugs is False:
        return "deny"
    check(route)
    check(drugs)
    # I.C pump FDA-approved for the drug
    if check(eq(req.pump.fda_approved_for_drug if req.pump else None, True)):
        return "deny"
    # I.D type and dosage: the prescription is documented
    check(True if req.drugs else None)
    # I.E experienced physician and facility
    if check(eq(req.facility_experienced, True)):
        return "deny"
    # I.F specialist validates that other treatments failed
    specialist = [e.result for e in cl.evaluations if e.type == "specialist"]
    if "other_treatments_failed" in specialist:
        pass
    elif specialist and all(r == "other_options_remain" for r in specialist):
        return "deny"
    else:
        unknown = True
    # VI contraindications (a list that only excludes)
    f = cl.findings
    if (f.active_infection or f.insufficient_body_size or f.prior_implant_intolerance or f.csf_obstruction
            or f.drug_allergy or f.device_component_allergy or f.other_programmable_implant):
        return "deny"
    # IV.A pain for at least 6 months
    if cl.pain_onset is None:
        unknown = True
    elif cl.pain_onset > _months_back(case.submitted, 6):
        return "deny"
    # IV.B planned observation stay of 1 to 2 days, for a trial of a spinal opioid
    days = req.trial_observation_days
    if any(d.name in _OPIOIDS for d in req.drugs) and check(None if days is None else 1 <= days <= 2):
        return "deny"
    # IV.C pain pathology identified
    if check(eq(cl.pathology_confirmed, True)):
        return "deny"
    # IV.D.1 no current drug or alcohol abuse
    if cl.substance_use == "active":
        return "deny"
    # IV.D.2 a negative drug test within the last 3 months, and no positive one
    since = _months_back(case.submitted, 3)
    recent = [s.result for s in cl.drug_screens if since <= s.date <= case.submitted]
    if "positive" in recent:
        return "deny"
    if not recent:
        unknown = True
    # IV.E psychological evaluation: pain not due to mental-health causes
    mental = [e.result for e in cl.evaluations if e.type == "mental_health"]
    if "cleared" in mental:
        pass
    elif mental and all(r == "not_cleared" for r in mental):
        return "deny"
    else:
        unknown = True
    # IV.F surgical intervention not indicated
    if check(eq(cl.surgery_indicated, False)):
        return "deny"
    # IV.G systemic opioids ineffective or complicated by side effects
    opioids = [t.outcome for t in cl.treatments if t.type == "systemic_opioids"]
    if any(o in _FAILED for o in opioids):
        pass
    elif opioids and all(o == "effective" for o in opioids):
        return "deny"
    else:
        unknown = True
    # IV.H.1 six months of active conservative therapy in the past 12, OR unable to complete it
    active = _six_months_within_year(cl.treatments, _ACTIVE, case.submitted)
    if active is not True and not any(t.type in _ACTIVE and t.outcome in _COULD_NOT_COMPLETE
                                      for t in cl.treatments):
        unknown = True  # the "unable to complete" branch is never contradicted, so at worst unknown
    # IV.H.2 six months of inactive conservative therapy in the past 12
    if check(_six_months_within_year(cl.treatments, _INACTIVE, case.submitted)):
        return "deny"
    return "pend" if unknown else "approve"


# --- timing ----------------------------------------------------------------------------------------------


def pin_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError) as exc:  # not Linux, or not permitted
        return f"not pinned ({exc.__class__.__name__})"


def timed(one_pass: Callable[[], int], seconds: float, warmup: float) -> tuple[int, float, int]:
    """Run `one_pass` (returns the determinations it made) repeatedly for about `seconds`, after a warm-up.

    Returns (determinations, elapsed seconds, passes).
    """
    start = time.perf_counter()
    while time.perf_counter() - start < warmup:
        one_pass()
    gc.collect()
    count = passes = 0
    start = time.perf_counter()
    while True:
        count += one_pass()
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count, elapsed, passes


def cli_peak_rss() -> tuple[float, str, int, str]:
    """Run the CLI once; (peak RSS in MB, how it was measured, exit code, what it printed about the case)."""
    cmd = [str(CLI), "check", str(CLI_CASE), "--format", "json"]
    time_bin = shutil.which("time", path="/usr/bin")
    if time_bin:
        proc = subprocess.run([time_bin, "-f", "%M", *cmd], capture_output=True, text=True)
        kb = int(proc.stderr.strip().splitlines()[-1])
        how = "/usr/bin/time %M (max resident set size of the child)"
    else:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
        how = "getrusage(RUSAGE_CHILDREN).ru_maxrss"
    try:
        out = json.loads(proc.stdout)
        got = ", ".join(f"{d['policy']}={d['decision']}" for d in out["determinations"])
    except (ValueError, KeyError, TypeError):
        got = "unreadable output: " + (proc.stdout or proc.stderr)[:200]
    return kb / 1024, how, proc.returncode, got


def table(counts: Counter, rows: Sequence[str]) -> list[str]:
    head = f"    {'policy':26}" + "".join(f"{d:>15}" for d in DECISIONS) + f"{'total':>8}"
    lines = [head]
    for row in rows:
        cells = [counts[(row, d)] for d in DECISIONS]
        lines.append(f"    {row:26}" + "".join(f"{c:>15}" for c in cells) + f"{sum(cells):>8}")
    total = [sum(counts[(r, d)] for r in rows) for d in DECISIONS]
    lines.append(f"    {'all':26}" + "".join(f"{c:>15}" for c in total) + f"{sum(total):>8}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description="Engine benchmark (see bench/README.md).")
    parser.add_argument("--cases", type=int, default=3000, help="synthetic cases to generate (default 3000)")
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="measuring time for each of the three timed loops (default 8)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    warmup = min(1.0, max(0.2, args.seconds / 8))

    print(f"priorauth engine benchmark: python {sys.version.split()[0]}, {pin_one_core()}, "
          f"{os.cpu_count()} CPUs on the machine")
    policies = CompiledPolicies(load_policies(), open_knowledge())
    texts = generate_json(args.cases, args.seed)
    t0 = time.perf_counter()
    cases = [Case.model_validate_json(t) for t in texts]
    parse_s = time.perf_counter() - t0
    print(f"cases: {len(cases)} generated (seed {args.seed}), parsed in {parse_s:.2f} s "
          f"({len(cases) / parse_s:,.0f} cases/s; parsing is not part of the figures below)")
    kinds = Counter(c.request.indication for c in cases)
    print("  indications: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    kinds = Counter(c.request.kind for c in cases)
    print("  request kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    years = Counter(c.request.service_date.year for c in cases)
    print("  service dates: " + ", ".join(f"{k} {v}" for k, v in sorted(years.items())))

    # a. throughput over the whole mix, every policy, full dict with trace
    def pass_all() -> int:
        n = 0
        for case in cases:
            for d in evaluate_case(case, policies):
                d.to_dict("full")
                n += 1
        return n

    mix: Counter = Counter()
    for case in cases:
        for d in evaluate_case(case, policies):
            mix[(d.policy, d.decision)] += 1
    count, elapsed, passes = timed(pass_all, args.seconds, warmup)
    rate = count / elapsed
    print()
    print("a. Engine throughput, all policies: "
          "evaluate_case(case, policies) + to_dict('full') per determination")
    print(f"   {count:,} determinations in {elapsed:.2f} s ({passes} passes over {len(cases)} cases; "
          f"{count / passes / len(cases):.2f} policies per case)")
    print(f"   throughput: {rate:,.0f} determinations/s on one core      target: >= {TARGET_RATE:,}/s")
    print(f"   mean time per determination: {elapsed / count * 1e6:.1f} us; per case: "
          f"{elapsed / (passes * len(cases)) * 1e6:.1f} us")
    print("   decision mix (one pass):")
    for line in table(mix, policies.ids):
        print(line)

    # a'. the same without rendering: each determination keeps its trace (every criterion's verdict),
    # its deny reasons or documentation requests and its findings; explanations render on demand.
    def pass_unrendered() -> int:
        return sum(len(evaluate_case(case, policies)) for case in cases)

    count, elapsed, _ = timed(pass_unrendered, args.seconds, warmup)
    print(f"   without rendering the trace to JSON (evaluate_case only): {count / elapsed:,.0f} determinations/s")

    # b. hand-written CareSource non-malignant trial rule against the engine on the same subset
    subset = [c for c in cases if c.request.indication == "noncancer_pain" and c.request.kind == "trial"]

    def pass_engine() -> int:
        for case in subset:
            determine(case, policies, CARESOURCE)
        return len(subset)

    def pass_engine_full() -> int:
        for case in subset:
            determine(case, policies, CARESOURCE).to_dict("full")
        return len(subset)

    def pass_hand() -> int:
        for case in subset:
            caresource_noncancer_trial(case)
        return len(subset)

    print()
    print(f"b. CareSource AR PASSE-MM-1502, non-malignant TRIAL requests: "
          f"{len(subset)} of {len(cases)} cases")
    if not subset:
        print("   no such case in the mix; nothing measured")
    else:
        e_count, e_elapsed, _ = timed(pass_engine, args.seconds, warmup)
        h_count, h_elapsed, _ = timed(pass_hand, args.seconds, warmup)
        f_count, f_elapsed, _ = timed(pass_engine_full, args.seconds / 2, warmup / 2)
        e_rate, h_rate, f_rate = e_count / e_elapsed, h_count / h_elapsed, f_count / f_elapsed
        print(f"   engine  determine:                         {e_rate:>12,.0f} determinations/s "
              f"({e_elapsed / e_count * 1e6:.1f} us each)")
        print(f"   hand-written caresource_noncancer_trial:    {h_rate:>12,.0f} determinations/s "
              f"({h_elapsed / h_count * 1e6:.1f} us each)")
        print(f"   ratio engine time / hand-written time:      {h_rate / e_rate:>12.1f}x"
              f"      target: <= {TARGET_RATIO:g}x")
        print(f"   (for reference, engine + to_dict('full'):   {f_rate:>12,.0f} determinations/s, "
              f"{h_rate / f_rate:.1f}x the hand-written time)")
        agree = 0
        disagreements = []
        by_decision: Counter = Counter()
        for case in subset:
            engine = determine(case, policies, CARESOURCE).decision
            hand = caresource_noncancer_trial(case)
            by_decision[engine] += 1
            if engine == hand:
                agree += 1
            else:
                disagreements.append((case.id, engine, hand))
        print(f"   decisions agree on {agree} of {len(subset)} cases "
              f"(engine decisions: {', '.join(f'{k} {v}' for k, v in sorted(by_decision.items()))})")
        for case_id, engine, hand in disagreements[:10]:
            print(f"   DISAGREEMENT {case_id}: engine {engine}, hand-written {hand}")
        if len(disagreements) > 10:
            print(f"   ... and {len(disagreements) - 10} more disagreements")

    # c. CLI peak memory
    print()
    print(f"c. CLI peak RSS: {CLI.name} check {CLI_CASE} --format json")
    if not CLI.exists():
        print(f"   {CLI} not found; nothing measured")
    else:
        runs = [cli_peak_rss() for _ in range(3)]
        for i, (mb, _how, rc, got) in enumerate(runs, 1):
            print(f"   run {i}: peak RSS {mb:.1f} MB, exit code {rc}; {got}")
        print(f"   peak RSS (max of {len(runs)} runs): {max(r[0] for r in runs):.1f} MB"
              f"      target: < {TARGET_RSS_MB:g} MB   (measured with {runs[0][1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
