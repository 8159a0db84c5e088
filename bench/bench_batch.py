"""`priorauth batch` at several input sizes, side by side: cases/s and peak memory of the run (the parent and its
worker processes), to show memory does not grow with the input; then the same on a Dask LocalCluster of 1 and 2
workers, and the cluster's per-task overhead (a trivial task's round trip), which sets how a real cluster scales.

    python bench/bench_batch.py [--sizes 2000 8000] [--workers 2] [--out parquet|jsonl] [--dask-size 8000]

Cases are distinct synthetic ones from bench/generate.py, written to a temporary JSONL file first (not timed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from generate import iter_json

ROOT = Path(__file__).resolve().parent.parent


def write_cases(size: int, tmp: Path) -> Path:
    source = tmp / f"in-{size}.jsonl"
    if not source.exists():
        with source.open("w", encoding="utf-8") as f:
            for text in iter_json(size):  # streamed: this process stays small (see run: how peaks are read)
                f.write(text + "\n")
    return source


def count_rows(out: Path) -> int:
    if not out.exists():
        return 0
    if out.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(out).metadata.num_rows
    return sum(1 for _ in out.open())


def run(size: int, tmp: Path, out_format: str, *where: str) -> tuple[float, float, float, int]:
    """(seconds, peak MB of the largest process, peak MB of the whole process tree, rows). RSS is sampled every
    0.1 s from outside: a child's own ru_maxrss would count the memory of the process that started it."""
    source, out = write_cases(size, tmp), tmp / f"out-{size}.{out_format}"
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "priorauth", "batch", str(source), "--out", str(out), *where,
                             "--no-notes"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    largest = total = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = [p.memory_info().rss for p in tree]
        except psutil.Error:
            rss = []
        if rss:
            largest, total = max(largest, max(rss)), max(total, sum(rss))
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    stderr = proc.stderr.read()
    if proc.returncode not in (0, 1):
        sys.exit(f"batch failed ({proc.returncode}): {stderr[-2000:]}")
    return seconds, largest / 2**20, total / 2**20, count_rows(out)


def task_overhead(address: str, n: int = 200) -> float:
    """Milliseconds per trivial task, submitted and gathered one at a time (the scheduler round trip)."""
    from distributed import Client

    with Client(address) as client:
        client.submit(abs, -1, pure=False).result()
        t0 = time.perf_counter()
        for i in range(n):
            client.submit(abs, -i, pure=False).result()
        return (time.perf_counter() - t0) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", choices=["parquet", "jsonl"], default="parquet")
    parser.add_argument("--dask-size", type=int, default=8000, help="cases for the Dask runs (0: skip them)")
    args = parser.parse_args()
    print(f"priorauth batch to {args.out}, summary rows, {os.cpu_count()} CPUs (whole run, start-up included)")
    print(f"{'where':>18} {'cases':>8} {'rows':>8} {'seconds':>8} {'cases/s':>8} {'peak MB: largest process':>25} "
          f"{'all processes':>14}")
    with tempfile.TemporaryDirectory(prefix="priorauth-batch-") as tmp:
        for size in args.sizes:
            seconds, peak, tree, rows = run(size, Path(tmp), args.out, "--workers", str(args.workers))
            print(f"{f'{args.workers} local workers':>18} {size:>8} {rows:>8} {seconds:>8.1f} {size / seconds:>8.0f} "
                  f"{peak:>25.0f} {tree:>14.0f}")
        if not args.dask_size:
            return
        from distributed import LocalCluster

        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                seconds, peak, tree, rows = run(args.dask_size, Path(tmp), args.out, "--dask",
                                                cluster.scheduler_address)
                overhead = task_overhead(cluster.scheduler_address)
            print(f"{f'dask, {n} worker(s)':>18} {args.dask_size:>8} {rows:>8} {seconds:>8.1f} "
                  f"{args.dask_size / seconds:>8.0f} {peak:>25.0f} {tree:>14.0f}   (a trivial task: {overhead:.2f} ms)")
        print("the memory of a Dask run is the client's; the workers' is the cluster's")


if __name__ == "__main__":
    main()
