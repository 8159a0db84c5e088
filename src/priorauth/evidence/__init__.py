"""The evidence stage: facts read from clinical notes, each with its span, the rule that found it and the ConText
modifiers that applied (between intake and the engine: it reads a case's notes and fills what is absent)."""
