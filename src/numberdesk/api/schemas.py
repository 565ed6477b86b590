"""Shared API schema pieces."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Body(BaseModel):
    """A request body: unknown fields are refused, so typos don't pass silently."""

    model_config = ConfigDict(extra="forbid")


class ListOf(BaseModel, Generic[T]):
    """A page of a list: ``items`` and the ``next`` cursor (null on the last page)."""

    items: list[T]
    next: str | None = None


class TraceOut(BaseModel):
    """One step of a decision's trace: what was tried, how it came out (chosen, skipped,
    no_match; inbound also passed and refused), and why."""

    step: str
    result: str
    reason: str


def json_answer(model: BaseModel) -> Response:
    """The JSON of an answer built from its own schema, sent as it is: the call path's routes
    skip FastAPI's second validation of what they return (the route's ``response_model``
    still documents it)."""
    return Response(content=model.model_dump_json(), media_type="application/json")


MANAGER = "Role: owner or admin."
ANY_USER = "Role: any user of the organisation (owner, admin or agent)."
PLATFORM = "Auth: the platform's NUMBERDESK_ADMIN_TOKEN."
