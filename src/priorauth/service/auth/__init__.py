"""Users, bearer tokens and roles; imports only store and audit."""
