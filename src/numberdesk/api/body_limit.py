"""The most a request body may hold: a bigger one is refused with 413 before it is parsed.

The largest body the API takes is a list of 1,000 ids or numbers (a few dozen KB); a body of
many megabytes would only cost memory and CPU to read before validation refused it.

Not FastAPI's own ``max_body_size``: a body whose ``Content-Length`` is past it is answered
with Starlette's plain-text 413, sent in place of whatever the app answers, so the client
would get no problem document.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = (
    f"A request body may hold at most {MAX_BODY_BYTES:,} bytes; send fewer items in each "
    "request (a list takes at most 1,000)."
)


class LimitBody:
    """A plain ASGI middleware: reading a body declared longer than ``MAX_BODY_BYTES``
    (``Content-Length``), or one sent in chunks once it passes that, fails with
    ``HTTPException(413)``, which the route's error handling answers; nothing is changed.
    A body declared no longer than the limit is left alone: the server reads no more."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
            if not declared.isdigit():  # none (chunks, or no body); a server refuses others
                receive = _counted(receive)
            elif int(declared) > MAX_BODY_BYTES:
                receive = _refused
        await self.app(scope, receive, send)


async def _refused() -> Message:
    raise HTTPException(413, "Request body too large")


def _counted(receive: Receive) -> Receive:
    """``receive``, failing with 413 once the body read so far passes the limit."""
    read = 0

    async def counting() -> Message:
        nonlocal read
        message = await receive()
        read += len(message.get("body", b""))
        return await _refused() if read > MAX_BODY_BYTES else message

    return counting
