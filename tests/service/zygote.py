"""A fork server for the crash test: preloads the service once, then forks real server processes on demand.

    python tests/service/zygote.py DATABASE_URL
    stdin:  "spawn PORT"  ->  stdout: "PID"      (a child serving the API on 127.0.0.1:PORT)

Each child is a separate process with its own database connections (opened after the fork), running the
same app as `priorauth serve`; the test kills it with SIGKILL. Forking skips ~2 s of imports and policy
loading per cycle. Children are reaped automatically (SIGCHLD ignored).
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    url = sys.argv[1]
    import uvicorn

    from priorauth.evidence.extractor import warm_up
    from priorauth.policy.loader import load_policies
    from priorauth.service.http.app import create_app
    from priorauth.service.store.db import make_engine
    from priorauth.service.workflow.state import Store

    policies = load_policies()
    warm_up()  # as the app's start-up does: the children inherit it
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command != "spawn":
            continue
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            app = create_app(Store(make_engine(url), policies))
            uvicorn.run(app, host="127.0.0.1", port=int(arg), access_log=False, log_level="warning")
            os._exit(0)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
