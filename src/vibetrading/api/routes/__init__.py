"""The routes of the HTTP API, one module per resource, mounted under ``/api/v1``."""

from __future__ import annotations

from typing import Any

__all__ = ["PROBLEMS", "problems"]


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI ``responses`` documenting problem+json answers for `codes`."""
    return {
        code: {
            "description": "A problem (RFC 9457).",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for code in codes
    }


PROBLEMS = problems(400, 401, 403, 404, 409, 413, 422, 429, 500)
"""The problems any authenticated route may answer."""
