"""The REST layer: FastAPI app, endpoints, request bodies, problem+json, workers; the top of the service."""
