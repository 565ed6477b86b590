"""Shared API schema pieces."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from numberdesk.domain.groups import MAX_DAILY_CAP

T = TypeVar("T")
NUL = "\x00"


class Body(BaseModel):
    """A request body: unknown fields are refused, so typos don't pass silently; no text in
    it may hold the NUL character, which PostgreSQL cannot store (refused alike on SQLite)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise PydanticCustomError(
                "nul_character", "must not contain the NUL character (\\u0000)"
            )
        return value


def _holds_nul(value: Any) -> bool:
    """Whether a JSON value holds the NUL character in any string, key or item, however deep."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


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
DAILY_CAP_HELP = f"Calls per number per day, 1 to {MAX_DAILY_CAP:,}; null for no cap (O6)."
