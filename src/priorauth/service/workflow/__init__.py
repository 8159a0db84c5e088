"""The case and review workflow over the store, free of HTTP: it raises errors.Refused, http answers it."""
