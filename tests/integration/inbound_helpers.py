"""What the inbound call-path tests share: numbers with routes, agents with presence, calls."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from numberdesk.services.desk import Desk
from numberdesk.store import schema
from tests.conftest import Api
from tests.integration.helpers import post

INBOUND = "/v1/decisions/inbound"
CALLER = "+13055550142"


def buy(
    api: Api, key: str, kind: str = "voice", area_code: str = "212", country: str = "US"
) -> dict[str, Any]:
    """Buy one number (a New York one unless told otherwise); the Number object."""
    body = {"country": country, "area_code": area_code, "kind": kind, "quantity": 1}
    number: dict[str, Any]
    [number] = post(api, key, "/v1/number-orders", body)["numbers"]
    return number


def set_route(api: Api, key: str, number_id: str, route: dict[str, Any]) -> None:
    """Give a number its inbound route."""
    response = api.call("PUT", f"/v1/numbers/{number_id}/route", key, json=route)
    assert response.status_code == 200, response.text


def set_company(api: Api, key: str, number_id: str, settings: dict[str, Any]) -> None:
    """Make a number a company number with these settings."""
    set_route(api, key, number_id, {"type": "company"})
    response = api.call("PUT", f"/v1/numbers/{number_id}/company", key, json=settings)
    assert response.status_code == 200, response.text


def set_presence(api: Api, key: str, user_id: str, status: str) -> None:
    """Log an agent in (available or busy) or out."""
    response = api.call("PUT", f"/v1/users/{user_id}/presence", key, json={"status": status})
    assert response.status_code == 200, response.text


def agent(api: Api, key: str, presence: str = "available", **fields: Any) -> tuple[str, str]:
    """An agent with an extension, a work phone and a voicemail box; their id and API key."""
    user, agent_key = api.new_user(key, **fields)
    name = user["email"].split("@")[0]
    changes = {
        "extension": f"sip:{name}@pbx.example.com",
        "voicemail_email": user["email"],
        "greeting_url": f"https://example.com/{name}.mp3",
        **fields,
    }
    response = api.call("PATCH", f"/v1/users/{user['id']}", key, json=changes)
    assert response.status_code == 200, response.text
    if presence != "logged_out":
        set_presence(api, key, user["id"], presence)
    return user["id"], agent_key


def inbound(api: Api, key: str | None, to: str, caller: str | None = CALLER, **body: Any) -> Any:
    """POST /v1/decisions/inbound."""
    return api.call("POST", INBOUND, key, json={"to": to, "from": caller, **body})


def decided(api: Api, key: str, to: str, caller: str | None = CALLER, **body: Any) -> Any:
    """An inbound decision that must succeed; its body."""
    response = inbound(api, key, to, caller, **body)
    assert response.status_code == 200, response.text
    return response.json()


def event(api: Api, key: str, call_id: str, kind: str, agent_id: str | None = None) -> Any:
    """POST /v1/calls/{call_id}/events."""
    body: dict[str, Any] = {"type": kind}
    if agent_id is not None:
        body["agent_id"] = agent_id
    return api.call("POST", f"/v1/calls/{call_id}/events", key, json=body)


def claim(api: Api, key: str, item_id: str, action: str, **body: Any) -> Any:
    """POST /v1/inbox/{item_id}/claim: an agent's first action on an item."""
    return api.call("POST", f"/v1/inbox/{item_id}/claim", key, json={"action": action, **body})


def inbox_of(api: Api, key: str) -> list[tuple[str, str]]:
    """(item id, status) of every item in the key's user's inbox."""
    response = api.call("GET", "/v1/inbox", key)
    assert response.status_code == 200, response.text
    return [(i["id"], i["status"]) for i in response.json()["items"]]


def count(desk: Desk, table: str) -> int:
    """How many rows a table holds (to prove that a refusal or a dry run wrote nothing)."""
    with desk.store.transaction() as tx:
        found: int = tx.conn.execute(
            select(func.count()).select_from(schema.metadata.tables[table])
        ).scalar_one()
    return found


def recorded(desk: Desk, call_id: str) -> dict[str, Any]:
    """The stored record of an inbound call."""
    with desk.store.transaction() as tx:
        c = schema.inbound_calls.c
        row = tx.conn.execute(select(schema.inbound_calls).where(c.id == call_id)).one()
    return dict(row._mapping)


def company_team(api: Api, size: int = 3, **settings: Any) -> dict[str, Any]:
    """An org with ``size`` available agents and a company number that blasts them all."""
    created = api.new_org("Lofty", "US")
    key = created["api_key"]
    agents = [agent(api, key) for _ in range(size)]
    number = buy(api, key)
    rules = {"default_rule": {"action": "blast", "agent_ids": [a for a, _ in agents]}}
    set_company(api, key, number["id"], {**rules, **settings})
    return {**created, "key": key, "agents": agents, "number": number}
