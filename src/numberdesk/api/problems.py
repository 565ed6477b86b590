"""RFC 9457 problem responses with stable ``code``s, for every error the API can give."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from numberdesk.domain.errors import Problem

log = logging.getLogger("numberdesk.api")
PROBLEM_JSON = "application/problem+json"
_HTTP_CODES = {
    404: ("not_found", "No such resource; check the path against /docs."),
    405: ("method_not_allowed", "This path does not take that method; see /docs."),
}


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem document."""
    body: dict[str, Any] = {
        "type": f"urn:numberdesk:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    return problem_response(exc.status, exc.code, exc.title, exc.detail, errors, exc.extra)


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    issues = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in issues):
        return problem_response(
            400,
            "malformed_json",
            "Malformed JSON",
            "The request body is not valid JSON; send a JSON object with Content-Type: application/json.",
        )
    errors = [
        {"field": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
        for e in issues
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(
        422, "invalid_request", "Invalid request", f"Fix these fields: {summary}", errors
    )


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code, detail = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    return problem_response(exc.status_code, code, str(exc.detail), detail)


async def _on_crash(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(
        500,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; nothing was changed. Try again, and report it if it repeats.",
    )


class RefuseNul:
    """A plain ASGI middleware: a request whose path or query holds the NUL character (%00)
    is refused with 422 before any route reads it. PostgreSQL can neither store nor compare
    it, and no id, cursor or filter holds it; bodies are checked by ``schemas.Body``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            await _nul_refused(scope["query_string"], in_path="\x00" in scope["path"])(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


def _nul_refused(query: bytes, *, in_path: bool) -> JSONResponse:
    """422 naming where the NUL character is: the path, or each query parameter holding it."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    fields = ["path"] if in_path else []
    fields += sorted({name or "query" for name, value in pairs if "\x00" in name + value})
    message = "must not contain the NUL character (%00)"
    errors = [{"field": field, "message": message} for field in fields]
    return problem_response(
        422,
        "invalid_request",
        "Invalid request",
        f"Fix these fields: {'; '.join(f'{f}: {message}' for f in fields)}",
        errors,
    )


def install(app: FastAPI) -> None:
    """Turn every error into a problem document; refuse the NUL character in paths and
    queries (``RefuseNul``)."""
    app.add_middleware(RefuseNul)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(Exception, _on_crash)
