"""Request dependencies: the desk, the acting user, the platform admin token, paging."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from numberdesk.domain.errors import Forbidden, Unauthenticated
from numberdesk.domain.orgs import Actor
from numberdesk.services.desk import Desk
from numberdesk.services.orgs import authenticate, remembered_actor


async def get_desk(request: Request) -> Desk:
    """The desk the app was built with."""
    desk: Desk = request.app.state.desk
    return desk


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated(
            "missing_api_key", "Send your API key as `Authorization: Bearer <api key>`."
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "missing_api_key", "Use the Bearer scheme: `Authorization: Bearer <api key>`."
        )
    return token.strip()


async def current_actor(
    desk: Annotated[Desk, Depends(get_desk)],
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The user the request's API key acts for (A1)."""
    return await actor_of(desk, authorization)


async def actor_of(desk: Desk, authorization: str | None) -> Actor:
    """The user an ``Authorization`` header's API key acts for (A1). A key checked lately is
    answered on the event loop (no thread, no query: the call path's common case); else
    checked in a thread."""
    key = _bearer(authorization)
    actor = remembered_actor(desk, key)
    return actor if actor is not None else await run_in_threadpool(authenticate, desk, key)


def platform_admin(
    desk: Annotated[Desk, Depends(get_desk)],
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """Only the operator's NUMBERDESK_ADMIN_TOKEN may pass."""
    expected = desk.settings.admin_token
    if not expected:
        raise Forbidden(
            "admin_token_not_configured",
            "Set NUMBERDESK_ADMIN_TOKEN on the server to enable platform endpoints.",
        )
    if not hmac.compare_digest(_bearer(authorization).encode(), expected.encode()):
        raise Unauthenticated("invalid_admin_token", "The admin token is not valid.")


DeskDep = Annotated[Desk, Depends(get_desk)]
ActorDep = Annotated[Actor, Depends(current_actor)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (default 50, max 500).")]
Cursor = Annotated[str | None, Query(description="The `next` value of the previous page.")]
