"""The engine: three-valued evaluation of a case against policy criteria."""
