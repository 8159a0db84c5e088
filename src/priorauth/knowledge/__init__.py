"""Clinical knowledge as tables: code sets (ICD-10-CM, procedure codes) and intrathecal drugs with dose limits."""

from priorauth.knowledge.tables import Knowledge, open_knowledge

__all__ = ["Knowledge", "open_knowledge"]
