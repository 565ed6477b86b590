"""SIP through Kamailio (``deploy/kamailio/kamailio.cfg``) with SIPp playing the phones and the
carrier: the call path as a PBX engineer wires it, one HTTP question per call."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.sip import (
    ADMIN_TOKEN,
    MISSING,
    Kamailio,
    Phone,
    free_port,
    free_udp_port,
    kamailio,
    numberdesk,
    sipp,
)

pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"needs {' and '.join(MISSING)} (apt-get install kamailio kamailio-utils-modules "
    "kamailio-extra-modules sip-tester)",
)


@dataclass
class Pbx:
    """numberdesk as a PBX meets it: behind Kamailio, with an org that has numbers in 212 and
    415, and SIPp for every phone."""

    api: httpx.Client
    sip: Kamailio
    folder: Path
    numbers: dict[str, list[dict[str, Any]]]  # by area code

    def agent(self, name: str, **fields: Any) -> tuple[str, str]:
        """A new agent, available; their id and an API key of theirs."""
        body = {"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.com", "role": "agent"}
        user = self.ok("POST", "/v1/users", json={**body, **fields})
        self.ok("PUT", f"/v1/users/{user['id']}/presence", json={"status": "available"})
        key = self.ok("POST", "/v1/api-keys", json={"user_id": user["id"]})["api_key"]
        return user["id"], key

    def company_number(self, number_id: str, rule: str | dict[str, Any]) -> None:
        """Make the number a company number whose unknown callers follow ``rule`` (an agent's
        id: that user)."""
        if isinstance(rule, str):
            rule = {"action": "user", "agent_id": rule}
        self.ok("PUT", f"/v1/numbers/{number_id}/company", json={"default_rule": rule})
        self.ok("PUT", f"/v1/numbers/{number_id}/route", json={"type": "company"})

    def inbox(self, key: str) -> list[dict[str, Any]]:
        """The inbox items an agent (by their key) sees."""
        items: list[dict[str, Any]] = self.ok(
            "GET", "/v1/inbox", headers={"Authorization": f"Bearer {key}"}
        )["items"]
        return items

    def carrier_calls(self, e164: str, caller: str, refused_with: str | None = None) -> Phone:
        """The carrier's call from ``caller`` to our ``e164``: answered, then hung up, or
        refused with the final code ``refused_with``."""
        values = {"CALLER": caller} | ({"FINAL": refused_with} if refused_with else {})
        scenario = "call_refused" if refused_with else "call"
        return sipp(self.folder, scenario, to=e164, target=self.sip.trunk, values=values)

    def agent_calls(
        self, to: str, agent_id: str, refused_with: str | None = None, via: int | None = None
    ) -> Phone:
        """An agent's phone calls ``to`` through Kamailio (``via`` its agents' port): answered,
        then hung up, or refused with the final code ``refused_with``."""
        values = {"CALLER": "agent", "HEADERS": f"X-Numberdesk-Agent: {agent_id}"}
        values |= {"FINAL": refused_with} if refused_with else {}
        scenario = "call_refused" if refused_with else "call"
        return sipp(self.folder, scenario, to=to, target=via or self.sip.agents, values=values)

    def ended_already(self, call_id: str) -> bool:
        """Whether Kamailio reported the call's end (an ``ended`` now is refused as a second)."""
        again = self.api.post(f"/v1/calls/{call_id}/events", json={"type": "ended"})
        return again.status_code == 409 and again.json()["code"] == "call_ended"

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a request that must succeed."""
        response = self.api.request(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pbx]:
    """numberdesk on SQLite, a new org with its key given to Kamailio, and its numbers."""
    folder = tmp_path_factory.mktemp("sip")
    with numberdesk(folder) as url:
        made = httpx.post(
            f"{url}/v1/orgs",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            json={"name": "Acme Calls", "country": "US", "timezone": "America/New_York"},
        )
        assert made.status_code == 201, made.text
        key = made.json()["api_key"]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=headers) as api, kamailio(folder, url, key) as sip:
            numbers = {}
            for area_code, quantity in (("212", 5), ("415", 1)):  # 212: one per inbound story
                order = {"country": "US", "area_code": area_code, "kind": "voice"}
                bought = api.post("/v1/number-orders", json={**order, "quantity": quantity})
                assert bought.status_code == 201, bought.text
                numbers[area_code] = bought.json()["numbers"]
            yield Pbx(api, sip, folder, numbers)


def header(messages: str, name: str) -> list[str]:
    """The values of header ``name`` in the SIP messages SIPp logged."""
    return re.findall(rf"^{name}:\s*(.*?)\s*$", messages, flags=re.MULTILINE | re.IGNORECASE)


def test_an_agents_call_shows_the_callee_a_local_number_o3(pbx: Pbx) -> None:
    """O3, O7, O1: Kamailio asks for the caller ID; the carrier sees the 415 number in From and
    P-Asserted-Identity, with its approved branding as the display name and attestation A."""
    alice, _ = pbx.agent("Alice")
    local = pbx.numbers["415"][0]
    pbx.ok("PUT", f"/v1/numbers/{local['id']}/branding", json={"display_name": "Acme Calls"})
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # the sandbox carrier approves it
    pbx.ok("POST", f"/v1/sandbox/brandings/{local['id']}", headers=admin, json={"approved": True})
    carrier = sipp(pbx.folder, "phone_answers", port=pbx.sip.carrier)
    pbx.agent_calls("+14155550123", alice).finished()
    seen = carrier.finished()
    (invite_from, *_) = header(seen, "From")
    assert invite_from.startswith(f'"Acme Calls" <sip:{local["e164"]}@')
    assert header(seen, "P-Asserted-Identity")[0].startswith(f"<sip:{local['e164']}@")
    assert header(seen, "X-Numberdesk-Attestation") == ["A"]
    assert not header(seen, "X-Numberdesk-Agent"), "the agent header stays inside"


def test_a_call_with_no_caller_id_to_show_is_refused_not_guessed_o7(pbx: Pbx) -> None:
    """O7: nothing eligible for a London callee (no GB numbers, no org number): 403."""
    bob, _ = pbx.agent("Bob")
    seen = pbx.agent_calls("+442071234567", bob, "403").finished()
    assert "403 No Caller ID" in seen
    assert header(seen, "X-Numberdesk-Problem") == ["no_caller_id"]


def test_a_call_from_someone_who_is_not_an_agent_is_refused(pbx: Pbx) -> None:
    """A2: an unknown agent id gets no caller ID."""
    phone = pbx.agent_calls("+14155550123", "usr_nobody", "403")
    assert "403 Unknown Agent Or Campaign" in phone.finished()


@pytest.mark.parametrize("cut_off_by", ["no answer", "a refused key"])
def test_an_agents_call_fails_when_numberdesk_cannot_decide_it(pbx: Pbx, cut_off_by: str) -> None:
    """O7: numberdesk unreachable, or refusing the PBX's key: the call does not leave without a
    caller ID; the agent's phone hears 503."""
    alice, _ = pbx.agent("Alice")
    url, key = str(pbx.api.base_url), "nd.org_revoked"
    if cut_off_by == "no answer":
        url = f"http://127.0.0.1:{free_port()}"
    with kamailio(pbx.folder / cut_off_by.replace(" ", "-"), url, key) as cut_off:
        phone = pbx.agent_calls("+14155550123", alice, "503", via=cut_off.agents)
        assert "503 Caller ID Unavailable" in phone.finished()


def test_a_call_to_our_number_rings_its_agent_and_the_answer_is_reported_i3_i7(
    pbx: Pbx,
) -> None:
    """I3, I4, I7: an unknown caller to a company number rings the default user, who answers;
    the inbox item is theirs, and the hang-up ends the call in numberdesk."""
    phone_port = free_udp_port()
    carol, carol_key = pbx.agent("Carol", extension=f"sip:carol@127.0.0.1:{phone_port}")
    number = pbx.numbers["212"][0]
    pbx.company_number(number["id"], carol)
    agent_phone = sipp(pbx.folder, "phone_answers", port=phone_port)
    caller = pbx.carrier_calls(number["e164"], "+13055550142")
    caller.finished()
    seen = agent_phone.finished()
    assert f"ndagent={carol}" in seen  # the branch that rang says whose phone it was
    items = pbx.inbox(carol_key)
    assert [(i["caller"], i["owner_id"]) for i in items] == [("+13055550142", carol)]
    assert pbx.ended_already(items[0]["call_id"])


def test_a_blast_rings_every_selected_agent_and_the_first_to_answer_takes_it_i6_i7(
    pbx: Pbx,
) -> None:
    """I6, I7: a blast rings the selected agents at once; the one who answers owns the item,
    the other phone stops ringing."""
    ports = [free_udp_port(), free_udp_port()]
    grace, grace_key = pbx.agent("Grace", extension=f"sip:grace@127.0.0.1:{ports[0]}")
    heidi, _ = pbx.agent("Heidi", extension=f"sip:heidi@127.0.0.1:{ports[1]}")
    number = pbx.numbers["212"][4]
    pbx.company_number(number["id"], {"action": "blast", "agent_ids": [grace, heidi]})
    answers = sipp(pbx.folder, "phone_answers", port=ports[0])
    rings = sipp(pbx.folder, "phone_rings", port=ports[1])
    caller = pbx.carrier_calls(number["e164"], "+13055550177")
    caller.finished()
    assert f"ndagent={grace}" in answers.finished()
    assert f"ndagent={heidi}" in rings.finished()
    items = pbx.inbox(grace_key)
    assert [(i["caller"], i["owner_id"]) for i in items] == [("+13055550177", grace)]


def test_a_missed_unknown_caller_waits_in_the_selected_agents_inbox_i7(pbx: Pbx) -> None:
    """I7: nobody picks up; the failure ends the call and the item is there to claim."""
    phone_port = free_udp_port()
    dan, dan_key = pbx.agent("Dan", extension=f"sip:dan@127.0.0.1:{phone_port}")
    number = pbx.numbers["212"][1]
    pbx.company_number(number["id"], dan)
    agent_phone = sipp(pbx.folder, "phone_declines", port=phone_port)
    caller = pbx.carrier_calls(number["e164"], "+13055550199", "480")
    caller.finished()
    agent_phone.finished()
    items = pbx.inbox(dan_key)
    assert [(i["caller"], i["owner_id"]) for i in items] == [("+13055550199", None)]
    assert pbx.ended_already(items[0]["call_id"])


def test_a_logged_out_agents_caller_reaches_their_voicemail_i3(pbx: Pbx) -> None:
    """I3: the number's agent is logged out: the voicemail server takes the call, told whose
    box it is."""
    frank, _ = pbx.agent("Frank", voicemail_email="frank@example.com")
    pbx.ok("PUT", f"/v1/users/{frank}/presence", json={"status": "logged_out"})
    number = pbx.numbers["212"][3]
    pbx.ok("PUT", f"/v1/numbers/{number['id']}/route", json={"type": "agent", "agent_id": frank})
    voicemail = sipp(pbx.folder, "phone_answers", port=pbx.sip.voicemail)
    caller = pbx.carrier_calls(number["e164"], "+13055550123")
    caller.finished()
    seen = voicemail.finished()
    assert header(seen, "X-Numberdesk-Voicemail-Email") == ["frank@example.com"]


def test_a_busy_agent_gives_the_caller_a_busy_tone_i3(pbx: Pbx) -> None:
    """I3: the number's agent is on another call: 486 Busy Here, no phone rings."""
    erin, _ = pbx.agent("Erin", extension="sip:erin@127.0.0.1:9")
    pbx.ok("PUT", f"/v1/users/{erin}/presence", json={"status": "busy"})
    number = pbx.numbers["212"][2]
    pbx.ok("PUT", f"/v1/numbers/{number['id']}/route", json={"type": "agent", "agent_id": erin})
    caller = pbx.carrier_calls(number["e164"], "+13055550111", "486")
    caller.finished()
