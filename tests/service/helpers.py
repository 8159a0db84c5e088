"""Test helpers for the service: throwaway databases, a real `priorauth serve` process, users, cases."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from priorauth.policy.loader import load_policies

REPO = Path(__file__).resolve().parents[2]
CASES = (REPO / ".." / "shared" / "cases").resolve()
POSTGRES_ENV = "PRIORAUTH_TEST_POSTGRES_URL"
POSTGRES_SKIP = (f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against (.ci/run starts a throwaway "
                 f"cluster; or set {POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:PORT/postgres, a user "
                 "that may create databases)")
PHI_MARKER = "Zyxwvut-Qwertyson"  # a synthetic patient name; must never appear in a log

# A complete case (synthetic) that is independent of ../shared; the engine pends or approves it.
BASE_CASE = {
    "format": "priorauth-case/1",
    "id": "svc-base",
    "submitted": "2025-06-02",
    "member": {"birth_date": "1968-03-10", "sex": "female"},
    "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                "service_date": "2025-06-20", "procedure_codes": ["62324"], "diagnosis_codes": ["G89.21"],
                "drugs": [{"name": "morphine", "concentration": {"value": 1, "unit": "mg/mL"},
                           "daily_dose": {"value": 0.5, "unit": "mg"}, "compounded": False}],
                "pump": {"type": "programmable", "fda_approved_for_drug": True},
                "trial_observation_days": 2, "facility_experienced": True},
    "clinical": {"pain_onset": "2022-09-01", "pain_etiology": "failed back surgery syndrome",
                 "pathology_confirmed": True, "surgery_indicated": False, "substance_use": "none"},
    "notes": [{"date": "2025-05-30", "author": "Dr. Example", "kind": "progress",
               "text": f"Patient {PHI_MARKER} reports pain 8/10."}],
}


# A case with no payer is determined under every loaded policy.
POLICY_COUNT = len(load_policies().ids)


def case_doc(case_id: str = "svc-base", **changes) -> dict:
    """BASE_CASE with its id and top-level sections replaced or merged (dicts are merged one level)."""
    doc = copy.deepcopy(BASE_CASE)
    doc["id"] = case_id
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc


def denied_case(case_id: str) -> dict:
    """An HCSC trial request the engine denies: the mental-health evaluation did not clear the member."""
    return {
        "format": "priorauth-case/1", "id": case_id, "submitted": "2025-04-01",
        "member": {"birth_date": "1971-05-14", "sex": "male", "payer": "hcsc", "line_of_business": "commercial"},
        "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                    "service_date": "2025-04-15", "procedure_codes": ["62324"], "diagnosis_codes": ["G89.21"],
                    "drugs": [{"name": "morphine", "concentration": {"value": 1, "unit": "mg/mL"},
                               "daily_dose": {"value": 0.5, "unit": "mg"}, "compounded": False}],
                    "pump": {"type": "programmable", "fda_approved_for_drug": True},
                    "facility_experienced": True, "trial_observation_days": 1},
        "clinical": {
            "pain_onset": "2022-04-01", "pain_etiology": "failed back surgery syndrome", "pathology_confirmed": True,
            "surgery_indicated": False, "substance_use": "none",
            "treatments": [
                {"type": "physical_therapy", "start": "2023-09-01", "end": "2023-12-15", "outcome": "failed"},
                {"type": "nsaids", "start": "2022-05-01", "end": "2024-06-30", "schedule": "fixed",
                 "outcome": "failed"},
                {"type": "systemic_opioids", "start": "2024-01-10", "end": "2025-01-31", "schedule": "fixed",
                 "outcome": "intolerable_side_effects"},
                {"type": "epidural_steroid_injection", "start": "2024-03-05", "end": "2024-03-05",
                 "outcome": "failed"}],
            "evaluations": [{"type": "specialist", "specialty": "pain_management", "date": "2025-02-20",
                             "result": "other_treatments_failed"},
                            {"type": "mental_health", "date": "2025-03-03", "result": "not_cleared"}],
            "findings": {k: False for k in ("active_infection", "local_infection", "sepsis", "coagulopathy",
                                            "csf_obstruction", "insufficient_body_size", "drug_allergy",
                                            "device_component_allergy", "prior_implant_intolerance",
                                            "other_programmable_implant")}},
        "notes": [{"date": "2025-03-03", "author": "Dr. Example", "kind": "evaluation",
                   "text": f"{PHI_MARKER}: evaluation did not clear the member."}],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlalchemy_to_libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class PostgresDatabases:
    """Create and drop databases on the test server named by PRIORAUTH_TEST_POSTGRES_URL."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url

    def _run(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(sqlalchemy_to_libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> str:
        name = "priorauth_test_" + uuid.uuid4().hex[:12]
        self._run(f'CREATE DATABASE "{name}"')
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_database(backend: str, tmp: Path) -> tuple[str, callable]:
    """(SQLAlchemy URL of an empty database, cleanup function)."""
    if backend == "sqlite":
        path = tmp / f"store-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: None
    dbs = PostgresDatabases(os.environ[POSTGRES_ENV])
    url = dbs.create()
    return url, lambda: dbs.drop(url)


def migrate(url: str) -> None:
    from priorauth.service.store.db import make_engine
    from priorauth.service.store.db import migrate as run

    engine = make_engine(url)
    run(engine)
    engine.dispose()


def add_user(url: str, name: str, role: str, org: str | None = None) -> str:
    from priorauth.service.auth.users import add_user as add
    from priorauth.service.store.db import make_engine

    engine = make_engine(url)
    try:
        return add(engine, name, role, org)[1]
    finally:
        engine.dispose()


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "priorauth", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


# Every test client is 127.0.0.1: the per-source rate limit and bad-token lockout are off in the shared servers
# (test_hardening.py starts servers with them on).
UNLIMITED = {"PRIORAUTH_RATE_LIMIT": "0", "PRIORAUTH_AUTH_FAILURES": "0"}


@dataclass
class Server:
    """`priorauth serve` in a subprocess on 127.0.0.1 and a free port; its log goes to a file."""

    db_url: str
    log_path: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        for _attempt in range(3):
            self.port = free_port()
            env = {**os.environ, "PRIORAUTH_DATABASE_URL": self.db_url, **UNLIMITED, **self.extra_env}
            log = open(self.log_path, "a")  # noqa: SIM115 - the child keeps it
            self.proc = subprocess.Popen([sys.executable, "-m", "priorauth", "serve", "--port", str(self.port),
                                          *self.args],
                                         cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready(timeout):
                return self
            self.kill()
        raise RuntimeError(f"the server did not start; log:\n{self.log_path.read_text()[-3000:]}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    # Another test's server may hold the port this one could not bind (tests run in parallel):
                    # ours is the one answering only if it is still running.
                    time.sleep(0.2)
                    return self.proc.poll() is None
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text()


@dataclass
class Api:
    """A running server with one user per role and an HTTP client."""

    server: Server
    tokens: dict[str, str]
    backend: str
    client: httpx.Client

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def request(self, method: str, path: str, who: str | None = None, body: object = None,
                headers: dict[str, str] | None = None, **kw) -> httpx.Response:
        h = {**(self.auth(who) if who else {}), **(headers or {})}
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        return self.client.request(method, self.server.base + path, content=body, headers=h, **kw)

    def submit(self, doc: dict, who: str = "clinic_a", **kw) -> httpx.Response:
        return self.request("POST", "/v1/cases", who, doc, **kw)
