"""``numberdesk serve`` with several workers on one port, as an operator runs it for a PBX: a
worker takes calls only once its call-path indexes are warm (``/readyz`` cannot tell one worker
of a port from another), and a SIGHUP replaces the workers one at a time, each old one serving
until its replacement is warm, so that no call waits for an index build (O1, I1)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.e2e.sip import ADMIN_TOKEN, serving

STARTED = "Application startup complete."
WARM = "call-path indexes warm:"


def an_org_with_a_caller_id(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """A new org whose owner shows a 212 number; its API headers and an outbound call's body."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    body = {"name": "Acme Calls", "country": "US", "timezone": "America/New_York"}
    made = httpx.post(f"{url}/v1/orgs", headers=admin, json=body).json()
    headers = {"Authorization": f"Bearer {made['api_key']}"}
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 1}
    bought = httpx.post(f"{url}/v1/number-orders", headers=headers, json=order).json()
    e164 = bought["numbers"][0]["e164"]
    owner = f"{url}/v1/users/{made['owner_user_id']}"
    assert httpx.patch(owner, headers=headers, json={"caller_id": e164}).status_code == 200
    return headers, {"agent_id": made["owner_user_id"], "to": "+12125550100", "e164": e164}


def test_workers_take_calls_once_warm_and_a_hangup_replaces_them_one_at_a_time(
    tmp_path: Path,
) -> None:
    log = tmp_path / "numberdesk.log"
    with serving(tmp_path, workers=2) as (url, server), httpx.Client(base_url=url) as calls:
        headers, call = an_org_with_a_caller_id(url)
        e164 = call.pop("e164")
        server.send_signal(signal.SIGHUP)  # uvicorn replaces each worker in turn
        answers = []
        deadline = time.monotonic() + 30
        while log.read_text().count(STARTED) < 4 and time.monotonic() < deadline:
            answer = calls.post("/v1/decisions/outbound", headers=headers, json=call)
            answers.append((answer.status_code, answer.json().get("caller_id")))
            time.sleep(0.01)
    lines = log.read_text().splitlines()
    started = [i for i, line in enumerate(lines) if STARTED in line]
    warm = [i for i, line in enumerate(lines) if WARM in line]
    assert len(started) == 4, log.read_text()  # two workers, then their two replacements
    assert all(w < s for w, s in zip(warm, started, strict=True))  # each warm before serving
    assert sum("1 of 1 orgs" in lines[i] for i in warm[2:]) == 2  # the replacements warmed it
    assert set(answers) == {(200, e164)}  # calls went on meanwhile, every one answered
