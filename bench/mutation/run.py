"""Run mutmut over a subset of the source and print the score per file and every surviving mutant.

    python bench/mutation/run.py [--max-children 2] [--timeout 2100] [--resume] [FILE.py ...] [MUTANT ...]

FILES default to [tool.mutmut] only_mutate in pyproject.toml. mutmut copies src/ and tests/ into mutants/ and
runs pytest there; this script makes sure everything the tests run is the mutated copy:

* in-process imports: mutmut puts mutants/src first on sys.path and removes src/ (the editable install's
  .pth entry), so `import priorauth` is the copy;
* subprocesses (`python -m priorauth ...` in test_cli, test_audit's CLI checks): PYTHONPATH=mutants/src, which
  precedes site-packages and so the editable install; MUTANT_UNDER_TEST is inherited from the environment;
* ../shared: the copied tests would look for mutants/../shared, so PRIORAUTH_SHARED points at the real one.

The wall-clock budget (--timeout, seconds) interrupts mutmut; whatever was not reached is reported as
"not checked" and left out of the score's denominator (the run is then partial and says so).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KILLED = {"killed", "timeout", "caught by type check"}

BOOT = """
import sys
from mutmut import configuration
sep = sys.argv.index("--")
configuration.config().only_mutate = sys.argv[2:sep]
from mutmut.__main__ import cli
cli(["run", "--max-children", sys.argv[1], *sys.argv[sep + 1:]])
"""


def default_files() -> list[str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]


def run_mutmut(files: list[str], names: list[str], max_children: int, timeout: float,
               log: Path) -> tuple[float, bool]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "mutants" / "src"), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("PRIORAUTH_SHARED", str((REPO / ".." / "shared").resolve()))
    start = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", BOOT, str(max_children), *files, "--", *names], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        interrupted = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            interrupted = True
            proc.send_signal(signal.SIGINT)  # mutmut stops its workers and saves what it has
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return time.monotonic() - start, interrupted or proc.returncode != 0


def one_line_diff(mutant: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        diff = get_diff_for_mutant(mutant)
    except Exception as e:  # noqa: BLE001 - the report must not die on one mutant
        return f"(no diff: {e})"
    lines = diff.splitlines()[2:]
    old = [ln[1:].strip() for ln in lines if ln.startswith("-")]
    new = [ln[1:].strip() for ln in lines if ln.startswith("+")]
    return f"{' / '.join(old) or '(nothing)'}  ->  {' / '.join(new) or '(nothing)'}"


def report(files: list[str]) -> int:
    from mutmut import configuration
    from mutmut.stats import status_by_exit_code

    os.chdir(REPO)
    configuration.config().only_mutate = files  # mutmut finds a mutant's diff only among the files it mutates
    total_k = total_n = 0
    survivors: list[tuple[str, str]] = []
    print(f"{'file':45} {'killed':>7} {'total':>6} {'score':>7}   other")
    for f in files:
        meta = REPO / "mutants" / (f + ".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        statuses = {k: status_by_exit_code[v] for k, v in codes.items()}
        counts = Counter(statuses.values())
        killed = sum(counts[s] for s in KILLED)
        checked = len(statuses) - counts["not checked"]
        total_k, total_n = total_k + killed, total_n + checked
        other = ", ".join(f"{s} {n}" for s, n in sorted(counts.items()) if s not in KILLED)
        score = f"{100 * killed / checked:6.1f}%" if checked else "    -  "
        print(f"{f:45} {killed:7} {checked:6} {score}   {other}")
        survivors += [(k, s) for k, s in sorted(statuses.items()) if s not in KILLED and s != "not checked"]
    if total_n:
        print(f"{'all':45} {total_k:7} {total_n:6} {100 * total_k / total_n:6.1f}%")
    print(f"\nsurviving mutants ({len(survivors)}):")
    for mutant, status in survivors:
        print(f"  {mutant} [{status}]\n      {one_line_diff(mutant)}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help="source files to mutate (default: [tool.mutmut] only_mutate); "
                    "arguments not ending in .py are mutant names or globs to (re)run, e.g. 'priorauth.engine.logic.*'")
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=2100, help="wall-clock budget in seconds")
    ap.add_argument("--resume", action="store_true", help="keep mutants/ and its results (rerun what is unchecked)")
    ap.add_argument("--report-only", action="store_true", help="print the report of the last run")
    args = ap.parse_args()
    names = [f for f in args.files if not f.endswith(".py")]
    files = [f for f in args.files if f.endswith(".py")] or default_files()
    if not args.report_only:
        if not args.resume:
            shutil.rmtree(REPO / "mutants", ignore_errors=True)
        # exists before the interpreter starts: a PYTHONPATH entry that is missing at start-up is cached as
        # "no finder" and would never import the copy mutmut writes there later
        (REPO / "mutants" / "src").mkdir(parents=True, exist_ok=True)
        log = REPO / "mutants" / "mutmut-run.log"
        print(f"mutmut over {len(files)} file(s), {args.max_children} children, budget {args.timeout:.0f}s; "
              f"log: {log.relative_to(REPO)}", flush=True)
        elapsed, partial = run_mutmut(files, names, args.max_children, args.timeout, log)
        print(f"wall time {elapsed / 60:.1f} min{' (interrupted or failed: partial results)' if partial else ''}\n")
        if partial:
            print("".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:]).replace("\r", "\n"))
    return report(files)


if __name__ == "__main__":
    sys.exit(main())
