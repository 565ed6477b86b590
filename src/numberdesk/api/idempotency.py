"""The ``Idempotency-Key`` header: creating requests that a client can safely retry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from numberdesk.domain.orgs import Actor
from numberdesk.services import idempotency
from numberdesk.services.desk import Desk

RETRY_SAFE = (
    "Send `Idempotency-Key` to retry safely: a retry with the same key and body gets the "
    "first answer with `Idempotent-Replayed: true` and changes nothing."
)
IdempotencyKey = Annotated[
    str | None,
    Header(description="1 to 255 characters, such as a UUID; new for each new request."),
]


def respond(answer: idempotency.Answer) -> JSONResponse:
    """The answer as a response; a replayed one says so in ``Idempotent-Replayed``."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


@dataclass(frozen=True)
class Once:
    """A creating request's Idempotency-Key (if any) and the endpoint it was sent to."""

    key: str | None
    op: str

    def create(
        self,
        desk: Desk,
        actor: Actor,
        body: BaseModel,
        make: Callable[[], BaseModel],
        *,
        secret: str | None = None,
    ) -> JSONResponse:
        """201 with what ``make`` made, made at most once per key (``secret``: never stored)."""
        answer = idempotency.once(
            desk,
            actor,
            self.key,
            self.op,
            body.model_dump(mode="json"),
            lambda: (201, make().model_dump(mode="json")),
            secret=secret,
        )
        return respond(answer)


def once_per_key(request: Request, idempotency_key: IdempotencyKey = None) -> Once:
    """The request's Idempotency-Key and its method and path (part of the fingerprint)."""
    return Once(idempotency_key, f"{request.method} {request.url.path}")


OnceDep = Annotated[Once, Depends(once_per_key)]
