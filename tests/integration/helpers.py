"""Small helpers integration tests share."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.services.desk import Desk

if TYPE_CHECKING:
    from tests.conftest import Api

_lines = itertools.count(1000)
T = TypeVar("T")


def add_number(
    desk: Desk, org_id: str, kind: str = "voice", status: str = "active", **fields: Any
) -> str:
    """Put a New York number straight into the org (as an order or a mask would leave it),
    with any other ``fields`` of a ``Number`` given."""
    number = Number(
        org_id=org_id,
        id=new_id("num"),
        e164=f"+1212555{next(_lines):04d}",
        country="US",
        area_code="212",
        line_type="local",
        kind=Kind(kind),
        origin=Origin.MASKED if kind == "masked" else Origin.PURCHASED,
        status=Status(status),
        created_at=desk.now(),
        **fields,
    )
    with desk.store.transaction() as tx:
        tx.numbers.add(number)
    return number.id


def e164_of(desk: Desk, org_id: str, number_id: str) -> str:
    """The E.164 of a number."""
    with desk.store.transaction() as tx:
        return tx.numbers.require(org_id, number_id).e164


def audit(api: Api, key: str, entity: str) -> list[dict[str, Any]]:
    """The org's audit entries about one kind of object."""
    response = api.call("GET", f"/v1/audit?entity={entity}&limit=500", key)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def post(api: Api, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST that must create; the new object."""
    response = api.call("POST", path, key, json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def at_once(*calls: Callable[[], T]) -> list[T]:
    """Make the calls at the same moment, each on its own thread (a barrier lets them go
    together); their answers, in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def builds_of_concurrent_calls(
    monkeypatch: pytest.MonkeyPatch, service: ModuleType, call: Callable[[], T], calls: int = 8
) -> tuple[int, list[T]]:
    """Make ``calls`` calls at once; how many times they built ``service``'s index (each build
    made slow, so the other calls arrive while it runs), and their answers."""
    build = service.current_index
    builds = itertools.count()

    def slow_build(*args: Any) -> Any:
        next(builds)
        time.sleep(0.2)
        return build(*args)

    with monkeypatch.context() as patched, ThreadPoolExecutor(max_workers=calls) as pool:
        patched.setattr(service, "current_index", slow_build)
        answers = list(pool.map(lambda _: call(), range(calls)))
    return next(builds), answers
