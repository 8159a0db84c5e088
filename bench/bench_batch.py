"""`priorauth batch` at two input sizes, side by side: cases/s and peak memory of the run (the parent and its
worker processes), to show memory does not grow with the input.

    python bench/bench_batch.py [--sizes 2000 8000] [--workers 2]

Cases are distinct synthetic ones from bench/generate.py, written to a temporary JSONL file first (not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import generate_json

ROOT = Path(__file__).resolve().parent.parent


def run(size: int, workers: int, tmp: Path) -> tuple[float, float, int]:
    source, out = tmp / f"in-{size}.jsonl", tmp / f"out-{size}.jsonl"
    with source.open("w", encoding="utf-8") as f:
        for text in generate_json(size):
            f.write(json.dumps(json.loads(text)) + "\n")
    code = ("import resource, sys; from priorauth.cli.main import main; sys.argv = ['priorauth'] + sys.argv[1:];"
            "\ntry: main()\nfinally:\n  r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
            " c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
            " sys.stderr.write(f'PEAK {r} {c}\\n')")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "batch", str(source), "--out", str(out), "--workers",
                           str(workers), "--no-notes"], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    peak = next(line for line in proc.stderr.splitlines() if line.startswith("PEAK")).split()
    rows = sum(1 for _ in out.open()) if out.exists() else 0
    return seconds, max(int(peak[1]), int(peak[2])) / 1024, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"priorauth batch, {args.workers} workers, {os.cpu_count()} CPUs (whole run, start-up included)")
    print(f"{'cases':>8} {'rows':>8} {'seconds':>8} {'cases/s':>8} {'peak MB (largest process)':>26}")
    with tempfile.TemporaryDirectory(prefix="priorauth-batch-") as tmp:
        for size in args.sizes:
            seconds, peak, rows = run(size, args.workers, Path(tmp))
            print(f"{size:>8} {rows:>8} {seconds:>8.1f} {size / seconds:>8.0f} {peak:>26.0f}")


if __name__ == "__main__":
    main()
