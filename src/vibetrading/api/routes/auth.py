"""Auth routes: register, log in (JSON or the OAuth2 form), refresh, log out, who am I.

Every token answer also sets HttpOnly cookies for the browser: ``vt_access`` (the
access token, every path) and ``vt_refresh`` (the refresh token, auth paths only).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from vibetrading.api.deps import ACCESS_COOKIE, REFRESH_COOKIE, CurrentUser, Services
from vibetrading.api.problems import ProblemError
from vibetrading.api.routes import PROBLEMS
from vibetrading.api.schemas import CredentialsIn, RefreshIn, TokenOut, UserOut
from vibetrading.errors import PermissionDenied
from vibetrading.services.auth import TokenPair

__all__ = ["router"]

router = APIRouter(tags=["auth"], responses=PROBLEMS)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_CREDENTIALS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CredentialsIn"}},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "maxLength": 254},
                        "password": {"type": "string", "maxLength": 256},
                    },
                }
            },
        },
    }
}


async def _credentials(request: Request) -> CredentialsIn:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(_FORM_TYPES):
            form = await request.form()
            return CredentialsIn(
                email=str(form.get("username") or form.get("email") or ""),
                password=str(form.get("password") or ""),
            )
        return CredentialsIn.model_validate_json(await request.body())
    except ValidationError as e:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise ProblemError(422, detail, slug="validation-error") from None


def _tokens(request: Request, response: Response, pair: TokenPair) -> TokenOut:
    secure = request.url.scheme == "https"
    response.set_cookie(
        ACCESS_COOKIE,
        pair.access_token,
        max_age=pair.expires_in,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=pair.refresh_expires_in,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/api/v1/auth",
    )
    return TokenOut(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_in=pair.refresh_expires_in,
        user=UserOut.of(pair.user),
    )


@router.post(
    "/auth/register", status_code=201, response_model=TokenOut, openapi_extra=_CREDENTIALS_BODY
)
async def register(request: Request, response: Response, services: Services) -> TokenOut:
    """Create an account (JSON ``{"email", "password"}``) and log it in."""
    credentials = await _credentials(request)
    pair = await run_in_threadpool(
        services.auth.register,
        credentials.email,
        credentials.password,
        display_name=credentials.display_name,
    )
    return _tokens(request, response, pair)


@router.post("/auth/login", response_model=TokenOut, openapi_extra=_CREDENTIALS_BODY)
async def login(request: Request, response: Response, services: Services) -> TokenOut:
    """Log in with JSON ``{"email", "password"}`` or the OAuth2 password form."""
    credentials = await _credentials(request)
    try:
        pair = await run_in_threadpool(services.auth.login, credentials.email, credentials.password)
    except PermissionDenied as e:
        raise ProblemError(401, str(e), slug="unauthorized") from None
    return _tokens(request, response, pair)


@router.post("/auth/refresh", response_model=TokenOut)
async def refresh(
    request: Request, response: Response, services: Services, body: RefreshIn | None = None
) -> TokenOut:
    """Exchange a refresh token (body or cookie) for a new pair; reuse revokes the login."""
    token = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise ProblemError(401, "Send the refresh token in the body or the vt_refresh cookie.")
    try:
        pair = await run_in_threadpool(services.auth.refresh, token)
    except PermissionDenied as e:
        raise ProblemError(401, str(e), slug="unauthorized") from None
    return _tokens(request, response, pair)


@router.post("/auth/logout", status_code=204, response_class=Response)
async def logout(request: Request, services: Services, body: RefreshIn | None = None) -> Response:
    """Revoke the refresh token's login and clear the cookies."""
    token = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if token:
        await run_in_threadpool(services.auth.logout, token)
    response = Response(status_code=204)
    response.delete_cookie(ACCESS_COOKIE)
    response.delete_cookie(REFRESH_COOKIE, path="/api/v1/auth")
    return response


@router.get("/users/me", response_model=UserOut, tags=["users"])
async def me(user_id: CurrentUser, services: Services) -> UserOut:
    """Return the authenticated user (the local user in local mode)."""
    user = await run_in_threadpool(services.store.users.get, user_id)
    return UserOut.of(user)
