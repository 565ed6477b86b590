"""Inbound routes (I1, I2, N2, N11): what a call to one of the organisation's numbers does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from numberdesk.api.deps import ActorDep, DeskDep
from numberdesk.api.routes.numbers import Items, NumberOut, shown
from numberdesk.api.schemas import MANAGER, Body
from numberdesk.domain.routes import MAX_FALLBACK_DEPTH, RouteType
from numberdesk.services import routes
from numberdesk.services.routes import MAX_NUMBERS_PER_REQUEST

router = APIRouter(tags=["routes"])
TYPES = ", ".join(t.value for t in RouteType)


class RouteIn(Body):
    """A route: its type and the fields that type needs; leave out the others."""

    type: str = Field(examples=["agent"], description=f"One of {TYPES}.")
    agent_id: str | None = Field(None, description="For `agent`: the user who takes the calls.")
    queue_id: str | None = Field(None, description="For `queue`: an inbound queue.")
    destination_id: str | None = Field(
        None, description="For `custom`: a custom destination (POST /v1/destinations)."
    )
    forward_to: str | None = Field(
        None,
        examples=["+12125550123"],
        description="For `forward`: an external number (not one of yours, N11); national "
        "numbers are read with the organisation's country.",
    )
    scope: str | None = Field(
        None,
        description="For `last_caller`: `number` (the agent who last called the caller from "
        "this number, the default) or `any` (from any of your numbers).",
    )
    ring: str | None = Field(
        None,
        description="For `agent`, `last_caller` and `company`: ring the agent's `extension` "
        "(default) or `work_phone`.",
    )
    fallback: RouteIn | None = Field(
        None,
        description="For `last_caller`: the route when nobody called the caller before; not "
        f"`company`, at most {MAX_FALLBACK_DEPTH} deep.",
    )

    def data(self) -> dict[str, Any]:
        """The fields the caller sent, as the domain reads them."""
        return self.model_dump(exclude_unset=True)


class RoutesIn(Body):
    """The same route for many numbers."""

    number_ids: list[str] = Field(
        description=f"1 to {MAX_NUMBERS_PER_REQUEST} ids of your numbers; every one is "
        "changed, or none."
    )
    route: RouteIn


@router.put(
    "/v1/numbers/{number_id}/route",
    response_model=NumberOut,
    description=f"{MANAGER} The number must be able to receive calls or texts: a masked number "
    "is refused (N2, 422 `capability_missing`); a released one is 409 `number_not_live`. The "
    "agent, queue or destination must be your organisation's (422 `invalid_field`). "
    '`{"type": "not_assigned"}` disconnects its calls (I1). A `company` route answers with '
    "the number's company settings (PUT /v1/numbers/{id}/company); until they are saved, calls "
    "are disconnected with reason `company_not_configured`.",
)
def put_route(number_id: str, body: RouteIn, desk: DeskDep, actor: ActorDep) -> NumberOut:
    """Set the inbound route of one number."""
    return shown(desk, actor, [routes.set_route(desk, actor, number_id, body.data())])[0]


@router.put(
    "/v1/routes",
    response_model=Items[NumberOut],
    description=f"{MANAGER} Gives every listed number the same route (I2), all or nothing: an "
    "unknown number id is 404 naming it, and any refusal (as for PUT "
    "/v1/numbers/{id}/route) changes no number. More than "
    f"{MAX_NUMBERS_PER_REQUEST} numbers is 422 `too_many_numbers`. Answers the numbers in "
    "the order given.",
)
def put_routes(body: RoutesIn, desk: DeskDep, actor: ActorDep) -> Items[NumberOut]:
    """Set the same inbound route for many numbers."""
    views = routes.set_routes(desk, actor, body.number_ids, body.route.data())
    return Items[NumberOut](items=shown(desk, actor, views))
