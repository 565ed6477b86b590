"""The embedded sandbox carrier: finite stock, all-or-nothing orders, nothing sold twice (N4)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import phonenumbers
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from numberdesk.carriers.base import Carrier, NoNumbersAvailable
from numberdesk.carriers.sandbox import SandboxCarrier
from numberdesk.domain.areacodes import area_codes, candidate_numbers
from numberdesk.domain.errors import Invalid
from numberdesk.store.db import make_engine, normalise_url
from numberdesk.store.schema import metadata, sandbox_sales

STOCK = 10
EXHAUSTED = frozenset({("US", "907"), ("GB", "20")})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with the tables: a temp SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.db"
        return
    server = os.environ.get("NUMBERDESK_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("set NUMBERDESK_TEST_POSTGRES_URL to run on PostgreSQL")
    name = f"numberdesk_sandbox_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield normalise_url(server).rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database, tables created."""
    made = make_engine(database_url)
    metadata.create_all(made)
    yield made
    made.dispose()


@pytest.fixture
def carrier(engine: Engine) -> SandboxCarrier:
    """A sandbox with 10 numbers per area code and kind; US 907 and GB 20 exhausted."""
    return SandboxCarrier(engine, stock=STOCK, exhausted=EXHAUSTED)


def sales(engine: Engine) -> list[dict[str, object]]:
    """Every row the sandbox has recorded."""
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(sandbox_sales))]


def test_sandbox_is_a_carrier(carrier: SandboxCarrier) -> None:
    as_carrier: Carrier = carrier
    assert as_carrier.name == "sandbox"


def test_every_offered_number_is_valid_for_its_area_code_n1(carrier: SandboxCarrier) -> None:
    offered = carrier.search("US", "212", "voice", 5)
    assert len(offered) == 5
    for number in offered:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number.e164))
        assert number.e164.startswith("+1212")
        assert (number.country, number.area_code) == ("US", "212")
        assert (number.line_type, number.kind) == ("local", "voice")


def test_search_is_the_same_every_time(carrier: SandboxCarrier) -> None:
    assert carrier.search("DE", "30", "omni", 3) == carrier.search("de", "30", "omni", 3)


def test_stock_is_finite_per_area_code_and_kind(carrier: SandboxCarrier) -> None:
    assert len(carrier.search("US", "212", "voice", 100)) == STOCK
    carrier.order("org_a", "US", "212", "voice", STOCK)
    assert carrier.search("US", "212", "voice", 100) == []
    with pytest.raises(NoNumbersAvailable):
        carrier.order("org_a", "US", "212", "voice", 1)
    assert len(carrier.search("US", "212", "sms", 100)) == STOCK
    assert len(carrier.search("US", "415", "voice", 100)) == STOCK


def test_order_is_all_or_nothing_when_area_code_cannot_supply_quantity_n4(
    carrier: SandboxCarrier, engine: Engine
) -> None:
    carrier.order("org_a", "US", "212", "voice", STOCK - 3)
    before = sales(engine)
    with pytest.raises(NoNumbersAvailable) as refused:
        carrier.order("org_b", "US", "212", "voice", 4)
    assert refused.value.code == "no_numbers_available"
    assert refused.value.status == 409
    assert refused.value.detail.startswith(
        "No numbers available for area code 212 (US): 3 on offer, 4 asked."
    )
    assert sales(engine) == before
    assert len(carrier.search("US", "212", "voice", 100)) == 3


def test_order_records_the_sale_for_the_buyer(carrier: SandboxCarrier, engine: Engine) -> None:
    bought = carrier.order("org_a", "GB", "113", "sms", 2)
    rows = sales(engine)
    assert {row["e164"] for row in rows} == {number.e164 for number in bought}
    for row in rows:
        assert (row["org_id"], row["country"], row["area_code"], row["kind"]) == (
            "org_a",
            "GB",
            "113",
            "sms",
        )
        assert row["sold_at"] is not None
        assert row["released_at"] is None


def test_bought_number_is_never_offered_again(carrier: SandboxCarrier) -> None:
    first = carrier.search("US", "415", "voice", 1)[0]
    bought = carrier.order("org_a", "US", "415", "voice", 1)
    assert bought == [first]
    assert first not in carrier.search("US", "415", "voice", 100)
    carrier.release("org_a", [first.e164])
    assert first not in carrier.search("US", "415", "voice", 100)
    assert first.e164 not in {n.e164 for n in carrier.search("US", None, "voice", 500)}
    with pytest.raises(NoNumbersAvailable, match=r"\+1415"):
        carrier.order_numbers("org_b", [first.e164], "voice")


def test_exhausted_area_code_offers_nothing(carrier: SandboxCarrier, engine: Engine) -> None:
    assert carrier.search("US", "907", "voice", 5) == []
    with pytest.raises(NoNumbersAvailable, match="area code 907 \\(US\\): 0 on offer, 3 asked"):
        carrier.order("org_a", "US", "907", "voice", 3)
    with pytest.raises(NoNumbersAvailable):
        carrier.order_numbers("org_a", [candidate_numbers("GB", "20", "voice", 1)[0].e164], "voice")
    assert sales(engine) == []
    assert carrier.search("US", "212", "voice", 1)


def test_country_wide_order_buys_across_area_codes(carrier: SandboxCarrier) -> None:
    bought = carrier.order("org_a", "US", None, "voice", 5)
    assert len({number.area_code for number in bought}) == 5
    for number in bought:
        assert number not in carrier.search("US", number.area_code, "voice", 100)


def test_country_wide_search_leaves_out_exhausted_area_codes(carrier: SandboxCarrier) -> None:
    offered = carrier.search("GB", None, "voice", 500)
    assert len(offered) == 500
    assert "20" not in {number.area_code for number in offered}


def test_country_wide_shortage_is_worded_for_the_country(carrier: SandboxCarrier) -> None:
    on_offer = len(area_codes("AU")) * STOCK
    with pytest.raises(NoNumbersAvailable) as refused:
        carrier.order("org_a", "AU", None, "omni", on_offer + 1)
    assert refused.value.detail.startswith(
        f"No numbers available in AU: {on_offer} on offer, {on_offer + 1} asked."
    )
    assert len(carrier.order("org_a", "AU", None, "omni", on_offer)) == on_offer


def test_unknown_area_code_or_country_offers_nothing(carrier: SandboxCarrier) -> None:
    assert carrier.search("US", "800", "voice", 5) == []
    assert carrier.search("ZZ", None, "voice", 5) == []
    with pytest.raises(NoNumbersAvailable):
        carrier.order("org_a", "US", "800", "voice", 1)


def test_order_numbers_buys_exactly_the_listed_numbers(
    carrier: SandboxCarrier, engine: Engine
) -> None:
    picked = carrier.search("US", "212", "omni", 2) + carrier.search("FI", "9", "omni", 1)
    bought = carrier.order_numbers("org_a", [number.e164 for number in picked], "omni")
    assert bought == picked
    assert {row["e164"] for row in sales(engine)} == {number.e164 for number in picked}


def test_order_numbers_refuses_a_number_not_on_offer_and_buys_none(
    carrier: SandboxCarrier, engine: Engine
) -> None:
    on_offer = carrier.search("US", "212", "voice", 1)[0].e164
    beyond_stock = candidate_numbers("US", "212", "voice", STOCK + 1)[-1].e164
    sms_only = carrier.search("US", "212", "sms", 1)[0].e164
    toll_free = "+18002255288"
    for unavailable in (beyond_stock, sms_only, toll_free):
        with pytest.raises(NoNumbersAvailable, match=r"^\+1[0-9]+ is not on offer") as refused:
            carrier.order_numbers("org_a", [on_offer, unavailable], "voice")
        assert refused.value.detail.startswith(unavailable)
    assert sales(engine) == []


@pytest.mark.parametrize(
    ("numbers", "wording"),
    [
        (["2125550123"], "E.164"),
        ([], "is empty"),
        (["+1212"], "not a"),
        (["+12127108999", "+12127108999"], "listed twice"),
    ],
)
def test_order_numbers_needs_each_number_once_in_e164(
    carrier: SandboxCarrier, numbers: list[str], wording: str
) -> None:
    with pytest.raises(Invalid, match=wording):
        carrier.order_numbers("org_a", numbers, "voice")


def test_masked_numbers_cannot_be_bought(carrier: SandboxCarrier) -> None:
    with pytest.raises(Invalid, match="voice, omni or sms"):
        carrier.order("org_a", "US", "212", "masked", 1)


def test_release_marks_only_the_buyers_sale_released(
    carrier: SandboxCarrier, engine: Engine
) -> None:
    mine = carrier.order("org_a", "US", "212", "voice", 1)[0].e164
    theirs = carrier.order("org_b", "US", "212", "voice", 1)[0].e164
    carrier.release("org_a", [mine, theirs, "+12125550000"])
    released = {row["e164"]: row["released_at"] for row in sales(engine)}
    assert released[mine] is not None
    assert released[theirs] is None


def test_concurrent_orders_never_sell_a_number_twice(database_url: str, engine: Engine) -> None:
    def buy(buyer: int) -> int:
        own_engine = make_engine(database_url)  # as another API process would have
        try:
            carrier = SandboxCarrier(own_engine, stock=STOCK, exhausted=EXHAUSTED)
            return len(carrier.order(f"org_{buyer}", "US", "212", "voice", 3))
        except NoNumbersAvailable:
            return 0
        finally:
            own_engine.dispose()

    with ThreadPoolExecutor(max_workers=8) as pool:
        bought = list(pool.map(buy, range(8)))
    assert sorted(bought) == [0] * 5 + [3] * 3
    with engine.connect() as conn:
        sold = conn.execute(select(func.count(), func.count(sandbox_sales.c.e164.distinct())))
        assert tuple(sold.one()) == (9, 9)


def test_country_wide_and_area_code_orders_at_once_never_share_a_number(
    database_url: str, engine: Engine
) -> None:
    def buy(buyer: int) -> int:
        own_engine = make_engine(database_url)
        area_code = None if buyer % 2 else "2"
        try:
            carrier = SandboxCarrier(own_engine, stock=STOCK, exhausted=EXHAUSTED)
            return len(carrier.order(f"org_{buyer}", "AU", area_code, "sms", 3))
        except NoNumbersAvailable:
            return 0
        finally:
            own_engine.dispose()

    with ThreadPoolExecutor(max_workers=10) as pool:
        bought = sum(pool.map(buy, range(10)))
    with engine.connect() as conn:
        sold = conn.execute(select(func.count(), func.count(sandbox_sales.c.e164.distinct())))
        assert tuple(sold.one()) == (bought, bought)
    in_sydney = [row for row in sales(engine) if row["area_code"] == "2"]
    assert len(in_sydney) <= STOCK
