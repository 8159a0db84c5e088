"""The case and review workflow over the store, free of HTTP: it raises errors.Refused, http answers it.

state.py (the Store: engine, policies, token cache) lives here, not in store/, because it holds auth's
TokenCache; workflow is the lowest layer that may import auth.
"""
