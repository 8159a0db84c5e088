"""Load benchmark of the REST service on loopback: POST /v1/determinations (or the FHIR API's POST
/fhir/Claim/$submit) at 50 and 200 concurrent clients.

    python bench/bench_service.py [--seconds 10] [--clients 50 200] [--workers 1] [--explain full]
    python bench/bench_service.py --endpoint fhir-submit     # PAS Bundles, each stored and answered
    python bench/bench_service.py --endpoint cases --clients 50 200 [--database-url postgresql+psycopg://...]
                                                             # writes: where SQLite stops and PostgreSQL starts

Starts `priorauth serve` on 127.0.0.1 (a free port, a throwaway SQLite store or the empty database
`--database-url` names, one submitter token; the per-source rate limit and lockout off, since every client is
127.0.0.1 and the point is the service's capacity), then
for each concurrency level runs that many closed-loop clients (each a keep-alive HTTP/1.1 connection that
sends its next request as soon as the previous answer is read) for a warm-up and then `--seconds`.
Bodies are distinct synthetic cases from bench/generate.py (no two consecutive requests alike). Prints
requests/s, latency p50/p90/p99/max and errors (any status but 200, or a broken connection).

Targets (2 cores, client and server on the same machine): p99 < 50 ms at 50 clients, no errors at 200; for
$submit (every request a new PAS request Bundle from tests/fhir/bundles with its own Claim identifier: mapped,
stored as Bundle and case, evaluated, audited, answered with a ClaimResponse) p99 < 100 ms at 50 clients (PAS asks
for an answer within 15 s).
Only 127.0.0.1 is ever contacted; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from generate import generate_json

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TARGET_P99_MS_AT_50 = {"determinations": 50.0, "cases": 100.0, "fhir-submit": 100.0}
BUNDLES = ROOT / "tests" / "fhir" / "bundles"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_env(data_dir: Path, database_url: str) -> dict[str, str]:
    return {**os.environ, "PRIORAUTH_DATA_DIR": str(data_dir), "PRIORAUTH_DATABASE_URL": database_url,
            "PRIORAUTH_RATE_LIMIT": "0", "PRIORAUTH_AUTH_FAILURES": "0"}


def start_server(data_dir: Path, port: int, workers: int, log_level: str, database_url: str) -> subprocess.Popen:
    env = server_env(data_dir, database_url)
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen([sys.executable, "-m", "priorauth", "serve", "--host", HOST, "--port", str(port),
                             "--workers", str(workers), "--log-level", log_level], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start in 60 s")


def make_token(data_dir: Path, database_url: str) -> str:
    env = server_env(data_dir, database_url)
    out = subprocess.run([sys.executable, "-m", "priorauth", "users", "add", "bench", "--role", "submitter",
                          "--org", "bench"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()[-1]


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.statuses: dict[int, int] = {}


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    at = head.lower().find(b"\r\ncontent-length:")
    length = int(head[at + 17:head.index(b"\r\n", at + 2)]) if at >= 0 else 0
    await reader.readexactly(length)
    return status


async def client(port: int, requests: list[bytes], offset: int, measure_from: float, stop_at: float,
                 stats: Stats) -> None:
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        stats.errors += 1
        return
    i = offset
    try:
        while (t0 := time.perf_counter()) < stop_at:
            writer.write(requests[i % len(requests)])
            i += 1
            status = await asyncio.wait_for(_read_response(reader), timeout=30)
            if t0 >= measure_from:
                stats.latencies.append(time.perf_counter() - t0)
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
                if status not in (200, 201):
                    stats.errors += 1
    except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        stats.errors += 1
    finally:
        writer.close()


async def run_level(port: int, requests: list[bytes], clients: int, warmup: float, seconds: float) -> Stats:
    stats = Stats()
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    step = max(1, len(requests) // clients)
    await asyncio.gather(*(client(port, requests, k * step, measure_from, stop_at, stats) for k in range(clients)))
    return stats


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def build_fhir_requests(port: int, token: str, n: int) -> list[bytes]:
    """PAS request Bundles (the synthetic test set), each with a Claim identifier of its own."""
    import json

    docs = [json.loads(p.read_bytes()) for p in sorted(BUNDLES.glob("*.json")) if not p.name.endswith(".case.json")]
    out = []
    for i in range(n):
        doc = docs[i % len(docs)]
        doc["entry"][0]["resource"]["identifier"][0]["value"] = f"bench-{i}"
        raw = json.dumps(doc).encode()
        head = (f"POST /fhir/Claim/$submit HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/fhir+json\r\nContent-Length: {len(raw)}\r\n\r\n").encode()
        out.append(head + raw)
    return out


def build_requests(port: int, token: str, explain: str, n: int, path: str = "/v1/determinations") -> list[bytes]:
    out = []
    query = f"?explain={explain}" if path == "/v1/determinations" else ""
    for body in generate_json(n):
        raw = body.encode()
        head = (f"POST {path}{query} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(raw)}\r\n\r\n").encode()
        out.append(head + raw)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per level (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per level (default 2)")
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200], help="concurrency levels")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2: one per core)")
    parser.add_argument("--explain", choices=["summary", "fails", "full"], default="full",
                        help="detail of each determination (default full, as `priorauth check`)")
    parser.add_argument("--cases", type=int, default=500, help="distinct synthetic cases to send (default 500)")
    parser.add_argument("--log-level", default="info", help="server log level (default info: access log on)")
    parser.add_argument("--endpoint", choices=["determinations", "cases", "fhir-submit"], default="determinations",
                        help="what to load: /v1/determinations (default), /v1/cases (stored) or /fhir/Claim/$submit")
    parser.add_argument("--database-url", default="", help="an empty database to use instead of a throwaway "
                        "SQLite file (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench)")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with tempfile.TemporaryDirectory(prefix="priorauth-bench-") as tmp:
        data_dir = Path(tmp)
        token = make_token(data_dir, args.database_url)
        port = free_port()
        server = start_server(data_dir, port, args.workers, args.log_level, args.database_url)
        try:
            if args.endpoint == "fhir-submit":
                requests = build_fhir_requests(port, token, 3000)  # past 3000, an identifier comes back: a resubmission
                what = "POST /fhir/Claim/$submit"
            elif args.endpoint == "cases":
                requests = build_requests(port, token, args.explain, args.cases, "/v1/cases")
                what = f"POST /v1/cases on {'PostgreSQL' if args.database_url else 'SQLite'}"
            else:
                requests = build_requests(port, token, args.explain, args.cases)
                what = f"POST /v1/determinations?explain={args.explain}"
            target = TARGET_P99_MS_AT_50[args.endpoint]
            avg = sum(len(r) for r in requests) / len(requests)
            print(f"{what} on {HOST}, {args.workers} worker(s), "
                  f"{len(requests)} distinct requests (avg {avg / 1024:.1f} KiB), {os.cpu_count()} CPUs, "
                  f"client and server on this machine; {args.warmup:g} s warm-up + {args.seconds:g} s per level")
            print(f"{'clients':>8} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
                  f"{'max ms':>8} {'errors':>7}")
            verdicts = []
            for level in args.clients:
                stats = asyncio.run(run_level(port, requests, level, args.warmup, args.seconds))
                lat = sorted(stats.latencies)
                p50, p90, p99 = (percentile(lat, q) * 1000 for q in (0.50, 0.90, 0.99))
                print(f"{level:>8} {len(lat):>9} {len(lat) / args.seconds:>8.0f} {p50:>8.1f} {p90:>8.1f} "
                      f"{p99:>8.1f} {(lat[-1] * 1000 if lat else 0):>8.1f} {stats.errors:>7}")
                if level == 50:
                    verdicts.append(f"p99 at 50 clients {p99:.1f} ms: target < {target:g} ms "
                                    f"{'met' if p99 < target else 'NOT met'}")
                if level == 200:
                    verdicts.append(f"errors at 200 clients: {stats.errors} "
                                    f"({'target met' if stats.errors == 0 else 'target NOT met'})")
            for v in verdicts:
                print(v)
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()
