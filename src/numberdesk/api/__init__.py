"""The HTTP API: FastAPI routers per feature, schemas, auth, problem responses."""
