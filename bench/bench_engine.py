"""Engine benchmark: throughput, overhead against a hand-written rule, and CLI peak memory.

    python bench/bench_engine.py [--cases N] [--seconds S] [--seed SEED] [--rounds R]

Figures (see bench/README.md):
  a. engine throughput: case x policy determinations per second, every policy, `evaluate_case` plus
     `Determination.to_dict("full")` (trace included), one core, case parsing excluded; decision mix.
  b. CareSource AR PASSE-MM-1502, non-malignant trial requests only: a hand-written plain-Python rule
     (hand_written.py) against the engine's criteria alone (generated code, and the reference evaluator), the
     complete determination, the determination with its trace as JSON, and zen-engine (zen_model.py) when
     installed; thread CPU time, interleaved rounds, medians of per-round ratios; decision agreement.
  c. peak RSS of `priorauth check CASE --format json` in a child process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson

from generate import DEFAULT_SEED, generate_json
from hand_written import caresource_noncancer_trial
from priorauth.case.model import Case
from priorauth.engine import CompiledPolicies
from priorauth.engine.evaluate import determine, evaluate_case
from priorauth.engine.facts import facts_for
from priorauth.knowledge import open_knowledge
from priorauth.policy.loader import load_policies
from zen_model import zen_variant

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "priorauth"
CLI_CASE = Path("/work/shared/cases/noncancer-trial-complete.json")
CARESOURCE = "caresource-ar-mm-1502"

TARGET_RATE = 10_000  # determinations per second, one core
TARGET_CORE = 1.5  # engine time / hand-written time: the criteria alone
TARGET_FULL = 3.0  # the determination with its trace rendered
TARGET_RSS_MB = 150.0
TARGET_WARM_S = 0.3  # `check` of one case, warm
DECISIONS = ("approve", "deny", "pend", "refer", "not_applicable")


# --- b. side by side ---------------------------------------------------------------------------------------

VERDICT_DECISION = {"met": "approve", "not_met": "deny", "unknown": "pend"}


def variants(subset: list[Case], policies: CompiledPolicies) -> dict[str, Callable[[], object]]:
    """One pass over the subset each. `core` is the criteria alone (the facts, then every node's verdict), which
    is what the hand-written function computes; the determination adds the input hash, the findings, every
    applied leaf's explanation, the reasons or requests; `full` renders it with its trace to JSON."""
    compiled = next(c for c in policies.versions(CARESOURCE) if c.policy.version == "2024-06-01")
    generated, program = compiled.code.get(), compiled.program
    facts = [facts_for(c) for c in subset]  # timed inside each core variant below; built here only to warm

    def hand():
        for case in subset:
            caresource_noncancer_trial(case)

    def core_generated():
        for case in subset:
            generated.verdicts(facts_for(case))

    def core_reference():
        for case in subset:
            program.run(facts_for(case))

    def record():
        for case in subset:
            determine(case, policies, CARESOURCE)

    def full():
        for case in subset:
            orjson.dumps(determine(case, policies, CARESOURCE).to_dict("full"))

    del facts
    out = {"hand-written": hand, "core, generated code": core_generated,
           "core, reference evaluator": core_reference, "determination": record,
           "determination + trace as JSON": full}
    zen = zen_variant(subset)
    if zen is not None:
        out["zen-engine (same criteria)"] = zen
    return out


def compare_with_hand_written(subset: list[Case], policies: CompiledPolicies, rounds: int) -> None:
    """Thread CPU time of one pass per variant, interleaved round by round; medians of the per-round figures."""
    runs = variants(subset, policies)
    for fn in runs.values():  # warm-up: generated code, caches
        fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    ratios: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        lap = {}
        for name, fn in runs.items():
            start = time.thread_time()
            fn()
            lap[name] = time.thread_time() - start
        for name in runs:
            times[name].append(lap[name])
            ratios[name].append(lap[name] / lap["hand-written"])
    print(f"   thread CPU time per pass, interleaved, median of {rounds} rounds "
          f"(ratio: per-round ratio to hand-written, median; spread min-max)")
    targets = {"core, generated code": f"target <= {TARGET_CORE:g}x",
               "determination + trace as JSON": f"target <= {TARGET_FULL:g}x"}
    for name in runs:
        per = statistics.median(times[name]) / len(subset)
        rs = ratios[name]
        print(f"   {name:32} {1 / per:>10,.0f} determinations/s ({per * 1e6:7.1f} us)  "
              f"{statistics.median(rs):6.2f}x  ({min(rs):.2f}-{max(rs):.2f})  {targets.get(name, '')}")


def agreement(subset: list[Case], policies: CompiledPolicies) -> None:
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


def cli_run(cache: str | None = None) -> tuple[float, float, str, int, str]:
    """Run the CLI once (with PRIORAUTH_CACHE_DIR=`cache` when given); (wall seconds, peak RSS in MB, how it was
    measured, exit code, what it printed about the case)."""
    cmd = [str(CLI), "check", str(CLI_CASE), "--format", "json"]
    env = dict(os.environ, PRIORAUTH_CACHE_DIR=cache) if cache else None
    every_cpu = getattr(os, "sched_setaffinity", None) and (lambda: os.sched_setaffinity(0, range(os.cpu_count())))
    time_bin = shutil.which("time", path="/usr/bin")
    start = time.perf_counter()
    if time_bin:
        proc = subprocess.run([time_bin, "-f", "%M", *cmd], capture_output=True, text=True, env=env,
                              preexec_fn=every_cpu)  # not this process's one pinned CPU
        wall = time.perf_counter() - start
        kb = int(proc.stderr.strip().splitlines()[-1])
        how = "/usr/bin/time %M (max resident set size of the child)"
    else:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=every_cpu)
        wall = time.perf_counter() - start
        kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
        how = "getrusage(RUSAGE_CHILDREN).ru_maxrss"
    try:
        out = json.loads(proc.stdout)
        got = ", ".join(f"{d['policy']}={d['decision']}" for d in out["determinations"])
    except (ValueError, KeyError, TypeError):
        got = "unreadable output: " + (proc.stdout or proc.stderr)[:200]
    return wall, kb / 1024, how, proc.returncode, got


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
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds for figure b (default 15)")
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
    print()
    print(f"b. CareSource AR PASSE-MM-1502, non-malignant TRIAL requests: "
          f"{len(subset)} of {len(cases)} cases")
    if not subset:
        print("   no such case in the mix; nothing measured")
    else:
        compare_with_hand_written(subset, policies, args.rounds)
        agreement(subset, policies)

    # c. CLI wall time and peak memory: cold (a new cache directory: no ICD-10 index, no compiled policy code
    # on disk yet), then warm (the caches of the machine's runs so far)
    print()
    print(f"c. CLI: {CLI.name} check {CLI_CASE} --format json (wall time includes interpreter start-up)")
    if not CLI.exists():
        print(f"   {CLI} not found; nothing measured")
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as cache:
            cold = cli_run(cache)
        warm = [cli_run() for _ in range(5)]
        print(f"   cold: {cold[0]:.2f} s, peak RSS {cold[1]:.1f} MB, exit code {cold[3]}")
        for i, (wall, mb, _how, rc, got) in enumerate(warm, 1):
            print(f"   warm run {i}: {wall:.2f} s, peak RSS {mb:.1f} MB, exit code {rc}; {got}")
        print(f"   warm wall time (median of {len(warm)}): {statistics.median(r[0] for r in warm):.2f} s"
              f"      target: < {TARGET_WARM_S:g} s")
        print(f"   peak RSS (max of the warm runs): {max(r[1] for r in warm):.1f} MB"
              f"      target: < {TARGET_RSS_MB:g} MB   (measured with {warm[0][2]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
