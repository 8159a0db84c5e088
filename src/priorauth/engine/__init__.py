"""The engine: a compiled policy set applied to a case in three-valued logic, giving immutable determinations."""

from priorauth.engine.evaluate import determine, evaluate_case
from priorauth.engine.policyset import CompiledPolicies
from priorauth.engine.record import FORMAT, Determination

__all__ = ["FORMAT", "CompiledPolicies", "Determination", "determine", "evaluate_case"]
