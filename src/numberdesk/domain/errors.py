"""Problems: refusals with a stable code, a message that says what to fix, and nothing changed.

The API turns each class into an RFC 9457 problem response with the matching status.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid field: where it is and what is wrong with it."""

    field: str
    message: str


class Problem(Exception):
    """A refusal. ``code`` is stable and machine-readable; ``detail`` tells a person what to do."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}


class Invalid(Problem):
    """The request is well-formed but breaks a rule (422)."""

    status = 422
    title = "Invalid request"


class NotFound(Problem):
    """No such object in the caller's organisation (404)."""

    status = 404
    title = "Not found"


class Conflict(Problem):
    """The request clashes with the current state (409)."""

    status = 409
    title = "Conflict"


class Forbidden(Problem):
    """The caller's role may not do this (403)."""

    status = 403
    title = "Forbidden"


class Unauthenticated(Problem):
    """No valid API key (401)."""

    status = 401
    title = "Unauthorized"


class Unavailable(Problem):
    """The database cannot be reached just now (503); nothing was changed."""

    status = 503
    title = "Service unavailable"


def invalid_field(field: str, message: str, *, code: str = "invalid_field") -> Invalid:
    """A 422 about a single field."""
    return Invalid(code, f"{field}: {message}", errors=[FieldError(field, message)])


def not_found(entity: str, ident: str) -> NotFound:
    """A 404 for an object that is not in the caller's organisation."""
    return NotFound(
        f"{entity}_not_found",
        f"No {entity.replace('_', ' ')} {ident!r} in your organisation; check the id.",
    )


def call_exists(call_id: str) -> Conflict:
    """A PBX sent a call id that was decided before (409), outbound or inbound."""
    return Conflict(
        "call_exists",
        f"Call {call_id!r} was decided before; give each call its own call_id, or leave it out "
        "and one is made up.",
    )


def database_unavailable() -> Unavailable:
    """The database could not answer just now (503): restarting, a lost connection, or a
    transient lock conflict."""
    return Unavailable(
        "database_unavailable",
        "The database could not answer just now (restarting, or a transient lock conflict); "
        "nothing was changed. Try again shortly.",
    )
