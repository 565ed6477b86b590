"""The ``numberdesk`` command as an operator uses it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from numberdesk.cli import app
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import list_numbers
from numberdesk.services.orgs import authenticate

runner = CliRunner()


def run(database_url: str, *args: str, **env: str) -> tuple[int, str]:
    """Run a command against ``database_url``; returns the exit code and all output."""
    environment = {
        "NUMBERDESK_DATABASE_URL": database_url,
        "NUMBERDESK_SANDBOX_STOCK": "30",
        "NUMBERDESK_SANDBOX_EXHAUSTED": "US:907",
        **env,
    }
    result = runner.invoke(app, list(args), env=environment)
    return result.exit_code, result.output


def test_org_create_prints_json_with_a_working_key(desk: Desk, database_url: str) -> None:
    code, output = run(database_url, "org", "create", "--name", "Acme", "--country", "fi")
    assert code == 0, output
    created = json.loads(output)
    actor = authenticate(desk, created["api_key"])
    assert (actor.org_id, actor.user_id) == (created["org_id"], created["owner_user_id"])


def test_org_create_with_unknown_country_explains_and_fails(database_url: str) -> None:
    code, output = run(database_url, "org", "create", "--name", "Acme", "--country", "XX")
    assert code == 2
    assert "unknown_country" in output


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    code, output = run(f"sqlite:///{tmp_path}/new.db", "serve")
    assert code == 1
    assert "numberdesk db upgrade" in output


def test_db_upgrade_then_demo_twice_makes_one_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    assert run(url, "db", "upgrade")[0] == 0
    code, first = run(url, "demo")
    assert code == 0, first
    code, second = run(url, "demo")
    assert code == 0, second
    assert "already there" in second
    key = next(line.split()[-1] for line in second.splitlines() if line.startswith("API key:"))
    code, listed = run(url, "numbers", "list", "--api-key", key)
    assert code == 0, listed
    assert listed.count("+1212") == 4  # three voice and one omni in New York, not eight
    assert "+44161" in listed


def test_numbers_search_buy_and_list(desk: Desk, database_url: str) -> None:
    created = json.loads(run(database_url, "org", "create", "--name", "A", "--country", "US")[1])
    key = created["api_key"]
    code, output = run(database_url, "numbers", "search", "--country", "US", "--area-code", "212")
    assert code == 0
    assert output.count("+1212") == 10
    code, output = run(
        database_url,
        "numbers",
        "buy",
        "--country",
        "US",
        "--area-code",
        "415",
        "--quantity",
        "3",
        "--api-key",
        key,
    )
    assert code == 0, output
    assert "Bought 3 voice numbers" in output
    page = list_numbers(desk, authenticate(desk, key))
    assert sorted(v.number.area_code or "" for v in page.items) == ["415"] * 3


def test_buying_from_an_exhausted_area_code_buys_nothing_n4(desk: Desk, database_url: str) -> None:
    key = json.loads(run(database_url, "org", "create", "--name", "A", "--country", "US")[1])[
        "api_key"
    ]
    code, output = run(
        database_url,
        "numbers",
        "buy",
        "--country",
        "US",
        "--area-code",
        "907",
        "--quantity",
        "1",
        "--api-key",
        key,
    )
    assert code == 2
    assert "no_numbers_available" in output
    assert list_numbers(desk, authenticate(desk, key)).items == []


def test_large_order_is_checked_whole_before_anything_is_bought_n4(
    desk: Desk, database_url: str
) -> None:
    key = json.loads(run(database_url, "org", "create", "--name", "A", "--country", "US")[1])[
        "api_key"
    ]
    code, output = run(
        database_url,
        "numbers",
        "buy",
        "--country",
        "US",
        "--area-code",
        "312",
        "--quantity",
        "120",
        "--api-key",
        key,
    )
    assert code == 2
    assert "30 on offer" in output
    assert list_numbers(desk, authenticate(desk, key)).items == []
    code, output = run(
        database_url,
        "numbers",
        "buy",
        "--country",
        "US",
        "--area-code",
        "312",
        "--quantity",
        "120",
        "--api-key",
        key,
        NUMBERDESK_SANDBOX_STOCK="150",
    )
    assert code == 0, output
    assert "Bought 120 voice numbers" in output
    assert len(list_numbers(desk, authenticate(desk, key), limit=500).items) == 120


def test_commands_without_a_key_say_how_to_give_one(database_url: str) -> None:
    code, output = run(database_url, "numbers", "list", NUMBERDESK_API_KEY="")
    assert code == 2
    assert "NUMBERDESK_API_KEY" in output
