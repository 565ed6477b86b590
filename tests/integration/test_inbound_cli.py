"""``numberdesk decide inbound`` and ``numberdesk inbox`` as support and agents use them."""

from __future__ import annotations

from numberdesk.services.desk import Desk
from tests.conftest import Api
from tests.integration.inbound_helpers import company_team, count, event, inbox_of
from tests.integration.test_cli import run


def test_try_an_inbound_call_prints_the_trace_and_records_nothing_i12(
    api: Api, desk: Desk, database_url: str
) -> None:
    team = company_team(api, size=2)
    key, e164 = team["key"], team["number"]["e164"]
    (ann, _), (bob, _) = team["agents"]
    code, output = run(
        database_url, "decide", "inbound", "--to", e164, "--from", "+13055550142",
        NUMBERDESK_API_KEY=key,
    )  # fmt: skip
    assert code == 0, output
    output = " ".join(output.split())  # Rich wraps lines at the terminal's width
    assert "ring: blast" in output
    assert "rule I6" in output
    assert ann in output
    assert bob in output
    assert "unknown caller" in output
    assert "dry run" in output
    tables = ("inbound_calls", "inbox_items", "inbound_active_calls")
    assert [count(desk, t) for t in tables] == [0, 0, 0]
    code, output = run(
        database_url, "decide", "inbound", "--to", e164, "--from", "anonymous", "--record",
        NUMBERDESK_API_KEY=key,
    )  # fmt: skip
    assert code == 0, output
    assert "withheld" in output
    assert "dry run" not in " ".join(output.split())
    assert count(desk, "inbound_calls") == 1


def test_try_an_inbound_text_and_a_bad_number(api: Api, database_url: str) -> None:
    team = company_team(api, size=1)
    key, e164 = team["key"], team["number"]["e164"]
    code, output = run(
        database_url, "decide", "inbound", "--to", e164, "--from", "+13055550142",
        "--channel", "sms", NUMBERDESK_API_KEY=key,
    )  # fmt: skip
    assert code == 0, output
    assert "disconnect: cannot_receive_texts" in output
    code, output = run(
        database_url, "decide", "inbound", "--to", "12", "--from", "+13055550142",
        NUMBERDESK_API_KEY=key,
    )  # fmt: skip
    assert code == 2
    assert "invalid_phone_number" in output
    _, agent_key = team["agents"][0]
    code, output = run(
        database_url, "decide", "inbound", "--to", e164, NUMBERDESK_API_KEY=agent_key
    )
    assert code == 2
    assert "forbidden" in output


def test_agent_lists_their_inbox_and_claims_a_missed_call_once_i7_i8(
    api: Api, database_url: str
) -> None:
    team = company_team(api, size=2)
    key = team["key"]
    (_, ann_key), (_, bob_key) = team["agents"]
    code, output = run(database_url, "inbox", NUMBERDESK_API_KEY=ann_key)
    assert (code, "empty" in output) == (0, True), output
    code, output = run(
        database_url, "decide", "inbound", "--to", team["number"]["e164"],
        "--from", "+13055550142", "--record", NUMBERDESK_API_KEY=key,
    )  # fmt: skip
    assert code == 0, output
    [call_id] = [w for w in output.replace(";", " ").split() if w.startswith("call_")]
    assert event(api, key, call_id, "ended").status_code == 200
    [(item_id, _)] = inbox_of(api, ann_key)
    code, output = run(database_url, "inbox", "--api-key", bob_key)
    assert code == 0, output
    assert item_id in output
    assert "unclaimed" in output
    assert "+13055550142" in output
    code, output = run(
        database_url, "inbox", "claim", item_id, "--action", "call_back", "--api-key", bob_key
    )
    assert code == 0, output
    assert "claimed" in output
    code, output = run(
        database_url, "inbox", "claim", item_id, "--action", "text_back", "--api-key", ann_key
    )
    assert code == 2
    assert "already_claimed" in output
    assert inbox_of(api, ann_key) == []
