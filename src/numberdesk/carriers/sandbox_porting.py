"""The embedded sandbox carrier's port-ins and port-outs (N7).

The sandbox takes a port-in request unless it already serves one of the numbers (it sold it
and it was not given back or ported away): a number can only be ported in from the carrier
that serves it. Whoever plays the carrier's side then moves the port-in through the sandbox
endpoints (``POST /v1/sandbox/port-ins/{id}/advance``, ``POST /v1/sandbox/port-outs``) or
``numberdesk carrier port-in-advance`` and ``port-out``; those reach numberdesk the way a real
carrier's notices would, through ``services.port_ins.apply_carrier_update`` and
``receive_port_out``. The sandbox keeps no port-in state of its own (the port-ins under way
are numberdesk's submitted ones) and is called only outside numberdesk's transactions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, select, update

from numberdesk.domain.errors import Conflict
from numberdesk.store.schema import sandbox_sales

log = logging.getLogger("numberdesk.sandbox")


class SandboxPorting:
    """Mixed into SandboxCarrier: port-ins and port-outs (N7)."""

    _engine: Engine
    _clock: Callable[[], datetime]

    def submit_port_in(self, org_id: str, port_in_id: str, e164s: list[str]) -> None:
        """Take a port-in request, unless the sandbox already serves one of its numbers."""
        t = sandbox_sales.c
        query = select(t.e164).where(t.e164.in_(e164s), t.released_at.is_(None)).order_by(t.e164)
        with self._engine.connect() as conn:
            served = list(conn.execute(query).scalars())
        if served:
            raise Conflict(
                "port_in_refused",
                f"The carrier refuses port-in {port_in_id}: it already serves "
                f"{', '.join(served)}, so there is nothing to port in from "
                "another carrier. Leave these numbers out of the port-in.",
                extra={"numbers": served},
            )
        log.info("sandbox: port-in %s of %d numbers (org %s) taken", port_in_id, len(e164s), org_id)

    def cancel_port_in(self, org_id: str, port_in_id: str) -> None:
        """Forget a port-in request."""
        log.info("sandbox: port-in %s (org %s) withdrawn", port_in_id, org_id)

    def ported_out(self, org_id: str, e164: str) -> None:
        """Close the sale of a number that ported away (it may be ported in again later)."""
        t = sandbox_sales.c
        with self._engine.begin() as conn:
            conn.execute(
                update(sandbox_sales)
                .where(t.org_id == org_id, t.e164 == e164, t.released_at.is_(None))
                .values(released_at=self._clock())
            )
