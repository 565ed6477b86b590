"""RFC 9457 problem responses with stable ``code``s, for every error the API can give."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from numberdesk.api.body_limit import TOO_LARGE, LimitBody
from numberdesk.api.schemas import NUL
from numberdesk.domain.errors import Problem

log = logging.getLogger("numberdesk.api")
PROBLEM_JSON = "application/problem+json"
_HTTP_CODES = {
    400: (  # FastAPI's only 400: a body json.loads could not read (the rest of bad JSON is 422)
        "malformed_json",
        "The request body could not be read as JSON (not UTF-8, nested too deeply or cut "
        "short); send a JSON object in UTF-8 with Content-Type: application/json.",
    ),
    404: ("not_found", "No such resource; check the path against /docs."),
    405: ("method_not_allowed", "This path does not take that method; see /docs."),
    413: ("body_too_large", TOO_LARGE),
}


class ProblemFieldError(BaseModel):
    """What is wrong with one field of the request."""

    field: str
    message: str


class ProblemOut(BaseModel):
    """An RFC 9457 problem document, the answer to every error: ``code`` is stable, ``detail``
    says what is wrong and how to fix it. Some carry more (409 ``no_caller_id`` its
    ``trace``)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemFieldError] | None = None


_ERRORS_DOCUMENTED = {
    "4XX": "The request cannot be answered as it stands: a problem document (bad input 400 or "
    "422 naming the fields, 401, 403, 404, 409); the operation's description lists its own.",
    "5XX": "503: the database could not answer just now, or the configuration kept changing; "
    "nothing was changed, ask again. 500: a fault on our side, nothing was changed.",
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


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    issues = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in issues):
        return problem_response(
            400,
            "malformed_json",
            "Malformed JSON",
            "The request body is not valid JSON; send a JSON object with Content-Type: application/json.",
        )
    return _invalid_request(
        [
            {"field": _location(tuple(e.get("loc", ()))), "message": _message(e, request)}
            for e in issues
        ]
    )


def _message(issue: Any, request: Request) -> str:
    """What is wrong with one field; for the body as a whole (none sent, or not read as JSON
    because of its Content-Type), how to send it."""
    if tuple(issue.get("loc", ())) != ("body",):
        return str(issue.get("msg", ""))
    sent = request.headers.get("content-type")
    given = f" (it came as {sent})" if sent and "json" not in sent else ""
    return f"send a JSON object with Content-Type: application/json{given}"


def _invalid_request(errors: list[dict[str, str]]) -> JSONResponse:
    """422 ``invalid_request`` naming each field and what is wrong with it."""
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
        if scope["type"] == "http" and (NUL in scope["path"] or b"%00" in scope["query_string"]):
            await _nul_refused(scope["query_string"], in_path=NUL in scope["path"])(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


def _nul_refused(query: bytes, *, in_path: bool) -> JSONResponse:
    """422 naming where the NUL character is: the path, or each query parameter holding it
    (``query`` for a parameter whose name holds it, or that has no name)."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    holding = sorted(
        {"query" if NUL in name or not name else name for name, v in pairs if NUL in name + v}
    )
    fields = (["path"] if in_path else []) + holding or ["query"]
    message = "must not contain the NUL character (%00)"
    return _invalid_request([{"field": field, "message": message} for field in fields])


def install(app: FastAPI) -> None:
    """Turn every error into a problem document, and document them so in the OpenAPI
    document; refuse the NUL character in paths and queries (``RefuseNul``) and bodies past
    their limit (``body_limit.LimitBody``)."""
    app.add_middleware(RefuseNul)
    app.add_middleware(LimitBody)
    _document_problems(app)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(Exception, _on_crash)


def _document_problems(app: FastAPI) -> None:
    """Every operation's errors documented as what the API sends, problem documents
    (``application/problem+json``, 4XX and 5XX), in place of FastAPI's own validation-error
    schema, which no answer has."""
    made = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = made()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for unsent in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unsent, None)
        problem = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                for status, description in _ERRORS_DOCUMENTED.items():
                    responses[status] = {"description": description, "content": content}
        return document

    app.openapi = openapi  # type: ignore[method-assign]
