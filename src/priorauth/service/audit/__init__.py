"""The audit hash chain, appended in the same transaction as the change it records; imports only store."""
