"""The service's state: the database engine, the loaded policies compiled against the knowledge, the token cache.

The knowledge (code and drug tables, the ICD-10-CM index) is opened once here, at start-up: requests
evaluate with it and never touch a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from priorauth.engine.policyset import CompiledPolicies
from priorauth.knowledge.tables import open_knowledge
from priorauth.policy.loader import PolicySet, load_policies
from priorauth.service.auth.users import TokenCache
from priorauth.service.store.config import policy_dir as configured_policy_dir
from priorauth.service.store.db import make_engine


@dataclass
class Store:
    engine: Engine
    policies: PolicySet
    compiled: CompiledPolicies = field(init=False)
    tokens: TokenCache = field(init=False)

    def __post_init__(self) -> None:
        self.compiled = CompiledPolicies(self.policies, open_knowledge())
        self.tokens = TokenCache(self.engine)

    @classmethod
    def open(cls, url: str | None = None, policy_dir: Path | None = None) -> Store:
        return cls(make_engine(url), load_policies(policy_dir or configured_policy_dir()))

    def close(self) -> None:
        self.engine.dispose()
