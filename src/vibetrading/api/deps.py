"""FastAPI dependencies: the services container, the current user and list parameters.

The current user comes from a Bearer access token (programs), else from the HttpOnly
``vt_access`` cookie (the browser). In local mode (single user, loopback) a request
without credentials is the local user; in multi-user mode it gets a 401 problem.
After authentication each user is rate limited on its own key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer

from vibetrading.api.problems import ProblemError
from vibetrading.errors import PermissionDenied
from vibetrading.services.container import ApiServices
from vibetrading.services.records import ListQuery
from vibetrading.settings import Settings

__all__ = [
    "ACCESS_COOKIE",
    "REFRESH_COOKIE",
    "CurrentUser",
    "Services",
    "current_user_id",
    "get_services",
    "get_settings",
    "list_query",
    "unauthorized",
]

ACCESS_COOKIE = "vt_access"
REFRESH_COOKIE = "vt_refresh"
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


def get_services(request: Request) -> ApiServices:
    """Return the services container of the app."""
    services: ApiServices = request.app.state.services
    return services


def get_settings(request: Request) -> Settings:
    """Return the settings of the app."""
    settings: Settings = request.app.state.settings
    return settings


Services = Annotated[ApiServices, Depends(get_services)]


def unauthorized(detail: str) -> ProblemError:
    """Return a 401 problem asking for a Bearer token."""
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def _limit_user(request: Request, user_id: str) -> None:
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return
    allowed, retry_after = await limiter.hit(f"user:{user_id}")
    if not allowed:
        raise ProblemError(
            429,
            f"Too many requests for this account; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def resolve_user_id(services: ApiServices, token: str | None, cookie: str | None) -> str:
    """Return the user of a token or cookie, or the local user in local mode."""
    credential = token or cookie
    if credential:
        try:
            return services.auth.verify_access(credential)
        except PermissionDenied as e:
            if services.multi_user or token:
                raise unauthorized(str(e)) from None
    if services.multi_user:
        raise unauthorized("Log in first: send 'Authorization: Bearer <access_token>'.")
    return services.user_id_for_local_mode()


async def current_user_id(
    request: Request,
    services: Services,
    token: Annotated[str | None, Depends(oauth2_scheme)] = None,
) -> str:
    """Return the id of the authenticated user (see the module docstring)."""
    from starlette.concurrency import run_in_threadpool

    cookie = request.cookies.get(ACCESS_COOKIE)
    user_id = await run_in_threadpool(resolve_user_id, services, token, cookie)
    request.state.user_id = user_id
    await _limit_user(request, user_id)
    return user_id


CurrentUser = Annotated[str, Depends(current_user_id)]


def list_query(
    limit: Annotated[int, Query(ge=1, le=200, description="Page size (1-200).")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")] = 0,
    sort: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=r"^-?[a-z_]+$",
            description="Sort field; a leading '-' sorts descending (the default direction).",
        ),
    ] = None,
) -> ListQuery:
    """Return the ListQuery of ``?limit=&offset=&sort=`` (filters are added per route)."""
    if sort is None:
        return ListQuery(limit=limit, offset=offset)
    descending = sort.startswith("-")
    return ListQuery(limit=limit, offset=offset, sort=sort.lstrip("-"), descending=descending)


def with_filters(query: ListQuery, **filters: Any) -> ListQuery:
    """Return `query` with the given non-None equality filters."""
    return ListQuery(
        limit=query.limit,
        offset=query.offset,
        sort=query.sort,
        descending=query.descending,
        filters={k: v for k, v in filters.items() if v is not None},
    )
