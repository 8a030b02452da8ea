"""The HTTP API (FastAPI, ``/api/v1``): thin routes over the services."""

__all__: list[str] = []
