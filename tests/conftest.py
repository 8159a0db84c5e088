from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PRIORAUTH_SHARED") or REPO / ".." / "shared").resolve()
CASES = SHARED / "cases"
SEEDS = SHARED / "seeds"

# Tests that read ../shared (the policy texts, the example cases). It must be there: a suite that skipped
# them would pass having checked nothing, so a missing ../shared stops the run (pytest_configure).
needs_shared = pytest.mark.shared


def pytest_configure(config):
    config.addinivalue_line("markers", "shared: reads ../shared (the policy texts and example cases)")
    missing = [str(p) for p in (SEEDS, CASES, SHARED / "tools" / "check-examples") if not p.exists()]
    if missing:
        raise pytest.UsageError(f"../shared is not complete beside the checkout: missing {', '.join(missing)}")


def run_cli(*args: str, check: bool = False, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    proc = subprocess.run([sys.executable, "-m", "priorauth", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env={**os.environ, **env} if env else None)
    if check and proc.returncode != 0:
        raise AssertionError(f"priorauth {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def example_case(name: str) -> dict:
    return json.loads((CASES / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def knowledge():
    from priorauth.knowledge import open_knowledge

    return open_knowledge()


@pytest.fixture(scope="session")
def policies(knowledge):
    """The shipped policies, compiled (the engine's policy set)."""
    from priorauth.engine import CompiledPolicies
    from priorauth.policy.loader import load_policies

    return CompiledPolicies(load_policies(), knowledge)
