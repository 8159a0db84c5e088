"""Policies as data: the file format, the loader and the linter."""
