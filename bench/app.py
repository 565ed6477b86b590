"""The numberdesk API plus benchmark routes, served by ``uvicorn bench.app:make --factory``.

``POST /bench/stub`` reads the same body as ``POST /v1/decisions/outbound`` and answers the
same shape the same way, but with a constant answer: no auth, no database, no decision. What it sustains
is the framework's ceiling on this machine. ``POST /bench/stub-inbound`` does the same for
``POST /v1/decisions/inbound``. ``POST /bench/stub-round-trip`` and
``/bench/stub-inbound-round-trip`` add one prepared statement, sent as the decisions send
theirs, on the event loop's pipeline (``store/pipeline``): the ceiling of any decision that
asks the database once. ``GET /bench/state`` tells which worker process answered and
which orgs' caller-ID and inbound indexes it has built, so the benchmarks can warm both up.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from sqlalchemy import bindparam, func, select

from numberdesk.api.app import create_app
from numberdesk.api.routes.callerid import OutboundIn, OutboundOut
from numberdesk.api.routes.inbound import InboundIn, InboundOut
from numberdesk.api.schemas import TraceOut, json_answer
from numberdesk.bootstrap import build_desk
from numberdesk.config import Settings
from numberdesk.services.callerid_index import Indexed
from numberdesk.services.inbound_index import InboundIndex
from numberdesk.store.schema import users

STUB_E164 = "+12125550123"
STUB_AGENT = "usr_stub"
ROUND_TRIP = select(func.count()).select_from(users).where(users.c.id == bindparam("id"))


def make() -> FastAPI:
    """The app on ``NUMBERDESK_DATABASE_URL``, with the stub and state routes added."""
    desk = build_desk(Settings.from_env())
    bench = APIRouter(tags=["bench"])

    @bench.post("/bench/stub", response_model=OutboundOut)
    async def stub(body: OutboundIn) -> Response:  # on the event loop, like the real one
        """A constant answer of the decision's shape: the framework's cost alone."""
        out = OutboundOut(
            call_id=body.call_id or "call_stub",
            caller_id=STUB_E164,
            number_id="num_stub",
            step="local_presence",
            display_name=None,
            attestation="A",
            trace=[
                TraceOut(
                    step="local_presence",
                    result="chosen",
                    reason=f"{STUB_E164}: an organisation number covers area code 212",
                )
            ],
        )
        return json_answer(out)

    async def round_trip(value: str) -> None:
        """One prepared statement on the event loop's pipeline, as the decisions send theirs."""
        pipeline = await desk.store.pipeline()
        assert pipeline is not None, "the benchmarks run on PostgreSQL"
        await pipeline.exchange([(ROUND_TRIP, {"id": value})])

    @bench.post("/bench/stub-round-trip", response_model=OutboundOut)
    async def stub_round_trip(body: OutboundIn) -> Response:
        """The stub plus one database round trip on the loop's pipeline, as an outbound
        decision asks: the most any decision that asks the database once can reach."""
        await round_trip(body.agent_id)
        return await stub(body)

    @bench.post("/bench/stub-inbound", response_model=InboundOut)
    async def stub_inbound(body: InboundIn) -> JSONResponse:  # on the loop, like the real one
        """A constant answer of the inbound decision's shape (an available agent rings), sent
        as the real route sends its decision's JSON: the framework's cost alone."""
        agent = {"type": "agent", "agent_id": STUB_AGENT, "uri": "sip:stub@pbx.invalid"}
        ring = f"{STUB_AGENT} is available: ring sip:stub@pbx.invalid (rule I3)"
        return JSONResponse(
            {
                "call_id": body.call_id or "call_stub",
                "action": "ring",
                "targets": [agent],
                "reason": "agent_available",
                "trace": [
                    {"step": "number", "result": "passed", "reason": f"{STUB_E164} is ours"},
                    {"step": "route", "result": "chosen", "reason": "agent route (rule I2)"},
                    {"step": "agent", "result": "chosen", "reason": ring},
                ],
            }
        )

    @bench.post("/bench/stub-inbound-round-trip", response_model=InboundOut)
    async def stub_inbound_round_trip(body: InboundIn) -> JSONResponse:
        """The inbound stub plus one database round trip."""
        await round_trip(body.to)
        return await stub_inbound(body)

    @bench.get("/bench/state")
    def state() -> dict[str, object]:
        """This worker's pid and the config version of each org index it holds: caller ID
        (``indexed``) and inbound routing (``inbound``)."""
        indexed = {
            org_id: entry.version
            for org_id, entry in desk.snapshots.items()
            if isinstance(entry, Indexed)
        }
        inbound = {
            key.removeprefix("inbound:"): entry.version
            for key, entry in desk.snapshots.items()
            if isinstance(entry, InboundIndex)
        }
        return {"pid": os.getpid(), "indexed": indexed, "inbound": inbound}

    return create_app(desk, first=[bench], owns_desk=True)  # bench routes matched first
