"""Several server processes on one port, each with its own SO_REUSEPORT socket.

With one shared listening socket (uvicorn's own `--workers`), whichever worker wakes first accepts every
pending connection, so keep-alive clients pile onto one process while the other idles. With a socket
per worker the kernel spreads new connections across them. The parent only supervises: it restarts a
worker that dies and stops them all on SIGINT/SIGTERM; a worker whose parent is gone (even by SIGKILL)
exits.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _die_with(parent: int) -> None:
    """Exit when the supervisor does, even when it is killed with SIGKILL and cannot stop us: the kernel sends
    SIGTERM (Linux), and a watcher thread covers the rest."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="priorauth-supervisor-watch", daemon=True).start()


def _probe(host: str, port: int) -> None:
    """Bind without SO_REUSEPORT: that fails while any process listens there, even one that bound with it (our
    workers do, so a second `serve` would otherwise start silently beside them)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            from priorauth.errors import USAGE, PriorAuthError

            raise PriorAuthError(USAGE, "--port", f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _worker(host: str, port: int, options: dict[str, Any], parent: int) -> None:
    import uvicorn

    from priorauth.service.http.app import create_app

    _die_with(parent)
    sock = _listen(host, port)
    server = uvicorn.Server(uvicorn.Config(create_app(), **options))
    server.run(sockets=[sock])


def run(workers: int, host: str, port: int, options: dict[str, Any]) -> None:
    """Run `workers` processes serving the app on host:port until SIGINT or SIGTERM."""
    _probe(host, port)  # fail fast, in the parent, if the address is taken (by anyone, a stray worker too)
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> multiprocessing.Process:
        proc = ctx.Process(target=_worker, args=(host, port, options, os.getpid()), daemon=False)
        proc.start()
        return proc

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    procs = [start() for _ in range(workers)]
    while not stopping:
        time.sleep(0.5)
        for i, proc in enumerate(procs):
            if not stopping and not proc.is_alive():
                procs[i] = start()
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(15)
        if proc.is_alive():
            proc.kill()
