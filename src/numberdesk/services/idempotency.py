"""Idempotency-Key: a retried create gets the first answer and changes nothing twice.

``once`` opens the outer transaction and the service it runs joins it (see
``Store.transaction``), so the answer is stored together with the change, or neither is.
The key is claimed before the work: a concurrent twin waits on it, then replays the answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from numberdesk.domain.errors import Conflict, Invalid, invalid_field
from numberdesk.domain.orgs import Actor
from numberdesk.services.desk import Desk
from numberdesk.store.idempotency import KeyTaken, StoredAnswer

MAX_KEY_LENGTH = 255
Run = Callable[[], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Answer:
    """An answer: fresh, or the first one again for an Idempotency-Key retry."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(op: str, request: Mapping[str, Any]) -> str:
    """A hash of what was asked, to tell a retry from another request under the same key."""
    data = json.dumps({"op": op, **request}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def check_key(key: str) -> str:
    """The key, if it has 1 to 255 characters."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise invalid_field("Idempotency-Key", "give 1 to 255 characters, such as a UUID")
    return key


def replay(stored: StoredAnswer, request_hash: str, what: str = "request") -> Answer:
    """The first answer again, if this is the same request; else refuse the reused key."""
    if stored.request_hash != request_hash:
        raise Invalid(
            "idempotency_key_reused",
            f"This Idempotency-Key was already used for a different {what}; use a new key for "
            f"a new {what}, or resend exactly the first request to get its answer.",
        )
    return Answer(stored.status, stored.response, replayed=True)


def once(
    desk: Desk,
    actor: Actor,
    key: str | None,
    op: str,
    request: Mapping[str, Any],
    run: Run,
    *,
    secret: str | None = None,
) -> Answer:
    """Run a create at most once per (org, Idempotency-Key); a retry gets the first answer.

    ``op`` names the endpoint and ``request`` is the JSON body: with the acting user they
    make the fingerprint, so the key is refused for anything but a retry by the same user.
    ``secret`` names a body field shown only once (an API key): it is never stored, and a
    retry is refused with 409 instead of showing it again.
    """
    if key is None:
        return Answer(*run())
    check_key(key)
    request_hash = fingerprint(op, {"user_id": actor.user_id, "request": request})
    try:
        with desk.store.transaction() as tx:
            stored = tx.idempotency.get(actor.org_id, key)
            if stored is None:
                tx.idempotency.claim(actor.org_id, key, request_hash, desk.now())
                status, body = run()
                kept = {k: v for k, v in body.items() if k != secret}
                tx.idempotency.settle(actor.org_id, key, status, kept)
                return Answer(status, body)
    except KeyTaken:  # a concurrent twin claimed the key first and has committed by now
        stored = _winner(desk, actor.org_id, key)
    answer = replay(stored, request_hash)
    if secret is not None:
        raise _secret_shown_once(secret)
    return answer


def _winner(desk: Desk, org_id: str, key: str) -> StoredAnswer:
    with desk.store.transaction() as tx:
        stored = tx.idempotency.get(org_id, key)
    if stored is None:  # the twin rolled back after all: this request may try again
        raise Conflict(
            "idempotency_key_in_use",
            "Another request with this Idempotency-Key was running; send this one again.",
        )
    return stored


def _secret_shown_once(secret: str) -> Conflict:
    return Conflict(
        "secret_shown_once",
        f"The first request with this Idempotency-Key already did this and showed its "
        f"`{secret}` once; it is not kept, so it cannot be shown again. Use the `{secret}` "
        "from the first answer, or send a new Idempotency-Key to make another.",
    )
