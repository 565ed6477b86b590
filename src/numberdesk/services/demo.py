"""The demo organisation `make run` serves: agents, numbers in two countries, a group, a campaign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numberdesk.domain.numbers import NumberOrder
from numberdesk.domain.orgs import Actor, Role
from numberdesk.domain.users import Presence
from numberdesk.services import groups, number_orders, numbers, orgs, users
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import NumberView

DEMO_NAME = "numberdesk demo"
# (country, area code, kind, quantity): New York, San Francisco, Chicago, and Manchester (GB).
DEMO_STOCK = (
    ("US", "212", "voice", 3),
    ("US", "212", "omni", 1),
    ("US", "415", "voice", 2),
    ("US", "312", "voice", 2),
    ("GB", "161", "voice", 2),
)
DEMO_AGENTS = (
    ("Alice Agent", "alice", "available"),
    ("Bob Agent", "bob", "available"),
    ("Carla Agent", "carla", "logged_out"),
)


@dataclass(frozen=True)
class Demo:
    """The demo org and a fresh API key for its owner."""

    org_id: str
    owner_user_id: str
    api_key: str
    created: bool


def ensure_demo(desk: Desk) -> Demo:
    """Create the demo org once; every call hands out a new owner key and revokes the older ones."""
    found = orgs.find_org_by_name(desk, DEMO_NAME)
    if found is not None:
        owner_id, key = orgs.reissue_owner_key(desk, found.org_id)
        return Demo(found.org_id, owner_id, key, created=False)
    made = orgs.create_org(
        desk,
        name=DEMO_NAME,
        country="US",
        timezone="America/New_York",
        owner_name="Olivia Owner",
        owner_email="owner@demo.numberdesk.invalid",
    )
    _furnish(desk, Actor(made.org.org_id, made.owner.id, Role.OWNER))
    return Demo(made.org.org_id, made.owner.id, made.api_key, created=True)


def _ids(_order: NumberOrder, views: list[NumberView]) -> dict[str, Any]:
    return {"numbers": [{"id": v.id, "e164": v.number.e164} for v in views]}


def _buy(desk: Desk, owner: Actor) -> dict[str, list[dict[str, str]]]:
    bought: dict[str, list[dict[str, str]]] = {}
    for country, area_code, kind, quantity in DEMO_STOCK:
        request = number_orders.OrderRequest(
            kind=kind, country=country, area_code=area_code, quantity=quantity
        )
        answer = number_orders.buy_numbers(desk, owner, request, render=_ids)
        bought[f"{country}:{area_code}:{kind}"] = answer.body["numbers"]
    return bought


def _furnish(desk: Desk, owner: Actor) -> None:
    bought = _buy(desk, owner)
    ny, sf, chi = bought["US:212:voice"], bought["US:415:voice"], bought["US:312:voice"]
    # One New York number also covers Manhattan's overlays: local presence for 646 and 332.
    numbers.update_number(desk, owner, ny[0]["id"], {"area_codes": ["646", "332"]})
    orgs.update_org(desk, owner, {"default_caller_id": ny[0]["e164"]})
    group = groups.create_group(
        desk, owner, {"name": "New York local", "number_ids": [n["id"] for n in ny]}
    )
    groups.create_campaign(
        desk,
        owner,
        {
            "name": "Spring renewals",
            "group_ids": [group.id],
            "number_ids": [n["id"] for n in sf + chi],
            "daily_cap": 100,
        },
    )
    for index, (name, handle, presence) in enumerate(DEMO_AGENTS):
        agent = users.create_user(
            desk,
            owner,
            {
                "name": name,
                "email": f"{handle}@demo.numberdesk.invalid",
                "role": "agent",
                "extension": f"sip:{handle}@pbx.demo.invalid",
                "work_phone": f"+1202555010{index}",
                "voicemail_email": f"{handle}@demo.numberdesk.invalid",
                "caller_id": sf[0]["e164"] if handle == "alice" else None,
                "business_hours": [
                    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
                ],
            },
        )
        users.set_presence(desk, owner, agent.id, Presence(presence))
