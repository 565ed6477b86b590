"""Every route, sent requests shaped by /openapi.json with odd values in them, answers with a
result or a problem document, never a 5xx (the API's promise: no request causes a 500).

The requests are made from the OpenAPI document by a seeded generator, so each run sends
much the same requests. Fields take what the org's answers held under the same name, the
document's examples, and the ids and numbers the org has. Half of the requests repeat one the
operation accepted before with one field or query parameter made odd (empty, long, non-ASCII,
huge integers, out-of-range times, unknown enum values, wrong types); the rest are new, some
with a few odd fields or path parameters.
"""

from __future__ import annotations

import json
import os
import random
import re
from typing import Any

import pytest

from numberdesk.api.problems import PROBLEM_JSON
from numberdesk.services.demo import ensure_demo
from numberdesk.services.desk import Desk
from tests.conftest import ADMIN_TOKEN, Api

# passes over every operation (about 95 of them); FUZZ_ROUNDS=200 for a longer search
ROUNDS = int(os.environ.get("FUZZ_ROUNDS", "20"))
ODD_STRINGS = (
    "", " ", "x" * 3000, "💥", "\u202e", "null", "-1", "1e400", "%00", "../..", "+", "+1",
    "+99999999999999999999", "2026-02-30", "2026-11-02T25:00:00Z", "0001-01-01T00:00:00Z",
    "24:00", "12:99", "America/Nowhere", "XX", "' OR 1=1 --", "\\", "nan", "\t",
)  # fmt: skip
ODD_INTEGERS = (0, -1, 2**31, 2**63, -(2**63) - 1, 10**30)
ODD_PATH_PARTS = ("x", "a" * 300, "%F0%9F%92%A5", "%00", "..", "%2F", "+12125550100")
ANY_TYPE: tuple[Any, ...] = (None, 1, "x", [], {}, True, 1.5)
# a field named like an id takes an id of the kind it names
ID_PREFIXES = {
    "agent": "usr", "user": "usr", "member": "usr", "campaign": "cmp", "number": "num",
    "group": "grp", "queue": "que", "sponsor": "spn", "address": "adr", "mandate": "mdt",
    "destination": "dst", "port_in": "prt", "item": "itm", "org": "org", "call": "call",
}  # fmt: skip
ID = re.compile(r"[a-z]+_[0-9a-f]{24}")  # the ids numberdesk makes (a CRM's may be anything)
# a field whose name holds one of these takes a phone number ("number_id" takes an id)
PHONE_FIELDS = ("e164", "caller_id", "phone", "sender_id", "reachable", "forward_to")


class Requests:
    """Requests for every operation of an OpenAPI document, from a seeded generator."""

    def __init__(self, document: dict[str, Any], seed: int) -> None:
        self.document, self.rng = document, random.Random(seed)
        self.ids: set[str] = set()
        self.numbers: set[str] = {"+12125550123"}
        self.seen: dict[str, list[Any]] = {}  # values the answers gave each field name
        self.accepted: dict[str, list[dict[str, Any]]] = {}  # by operation id: requests taken
        self.odd_left = 0  # how many more fields of the request being made get an odd value

    def learn(self, found: Any) -> None:
        """Keep the ids, E.164 numbers and field values an answer names, for later requests."""
        if isinstance(found, dict):
            for name, value in found.items():
                if isinstance(value, str) and ID.fullmatch(value):
                    self.ids.add(value)
                seen = self.seen.setdefault(name, [])
                if value is not None and value not in seen and len(seen) < 20:
                    seen.append(value)
                self.learn(value)
        elif isinstance(found, list):
            for value in found:
                self.learn(value)
        elif isinstance(found, str) and re.fullmatch(r"\+\d{8,15}", found):
            self.numbers.add(found)

    def an_id(self, name: str) -> str:
        """An id the org has, of the kind ``name`` (``agent_id``, ``{number_id}``) names."""
        kind = name.strip("{}").removesuffix("_ids").removesuffix("_id")
        prefix = ID_PREFIXES.get(kind, kind[:3]) + "_"
        known = sorted(i for i in self.ids if i.startswith(prefix)) or sorted(self.ids) or ["x"]
        return self.rng.choice(known)

    def path(self, template: str) -> str:
        """The path with each parameter an id of its kind, or now and then an odd one."""

        def part(match: re.Match[str]) -> str:
            if self.rng.random() < 0.8:
                return self.an_id(match.group(0))
            return self.rng.choice(ODD_PATH_PARTS)

        return re.sub(r"\{[^}]+\}", part, template)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema a ``$ref`` points to."""
        while "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def field(self, name: str, schema: dict[str, Any]) -> Any:
        """A value for the field ``name``: odd now and then, else what such a field holds."""
        rng, schema = self.rng, self.resolve(schema)
        if self.odd_left and rng.random() < 0.35:
            self.odd_left -= 1
            return self.value(schema, odd=True)
        if self.seen.get(name) and rng.random() < 0.5:
            return rng.choice(self.seen[name])
        if schema.get("examples") and rng.random() < 0.7:
            return rng.choice(schema["examples"])
        shaped = self.value(schema)
        phone = name == "number" or any(word in name for word in PHONE_FIELDS)
        if isinstance(shaped, str) and phone:
            return rng.choice(sorted(self.numbers))
        if isinstance(shaped, str) and name.endswith("_id"):
            return self.an_id(name)
        if isinstance(shaped, list) and name.endswith("_ids"):
            return [self.an_id(name) for _ in shaped]
        return shaped

    def value(
        self, schema: dict[str, Any], odd: bool = False, depth: int = 0, typed: bool = False
    ) -> Any:
        """A value of the schema's shape (``odd``: of the wrong type, or out of its range;
        ``typed``: odd only within its type, so past the API's own validation)."""
        rng, schema = self.rng, self.resolve(schema)
        if odd and not typed and rng.random() < 0.3:
            return rng.choice(ANY_TYPE)
        if "anyOf" in schema or "oneOf" in schema:
            choices = schema.get("anyOf") or schema["oneOf"]
            given = [c for c in choices if c.get("type") != "null"]
            if not typed and rng.random() < 0.2:
                given = choices
            return self.value(rng.choice(given or choices), odd, depth, typed)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], odd, depth)
        if "enum" in schema:
            return "bogus" if odd else rng.choice(schema["enum"])
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if kind == "object":
            return self.object(schema, odd)
        if kind == "array":
            size = rng.choice((0, 1, 2, 60) if odd else (0, 1, 2)) if depth < 4 else 0
            return [self.value(schema.get("items", {}), odd, depth + 1) for _ in range(size)]
        if kind == "integer":
            return rng.choice(ODD_INTEGERS) if odd else rng.randint(1, 10)
        if kind == "number":
            return rng.choice((1e308, -1e308, -0.0)) if odd else 1.5
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "null":
            return None
        if odd:
            return rng.choice(ODD_STRINGS)
        if schema.get("examples"):
            return rng.choice(schema["examples"])
        return rng.choice(("Zed", "09:00", "US", *sorted(self.numbers)[:3]))

    def object(self, schema: dict[str, Any], odd: bool) -> dict[str, Any]:
        """An object with its required properties and some of the others."""
        required = schema.get("required", [])
        made = {
            name: self.field(name, sub)
            for name, sub in schema.get("properties", {}).items()
            if name in required or self.rng.random() < 0.6
        }
        if odd:
            made["unexpected"] = 1
        return made

    def request(self, template: str, operation: dict[str, Any]) -> dict[str, Any]:
        """The path, query and JSON body of one request to the operation: half the time, once
        the operation has accepted some, one of those with one field or parameter made odd."""
        accepted = self.accepted.get(operation["operationId"])
        if accepted and self.rng.random() < 0.5:
            return self.one_odd(self.rng.choice(accepted), operation)
        self.odd_left = self.rng.choice((0, 1, 1, 3))
        query = {}
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and self.rng.random() < 0.7:
                query[parameter["name"]] = self.field(parameter["name"], parameter["schema"])
        sent: dict[str, Any] = {"url": self.path(template), "params": query}
        schema = _body_schema(operation)
        if schema is not None:
            whole_odd = self.rng.random() < 0.03  # a body of the wrong type, say
            sent["json"] = self.value(schema, odd=whole_odd)
        return sent

    def one_odd(self, sent: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
        """An accepted request again, with one of its body's fields or query's parameters odd."""
        schema = self.resolve(_body_schema(operation) or {})
        fields = [("json", name, sub) for name, sub in schema.get("properties", {}).items()]
        fields += [
            ("params", p["name"], p["schema"])
            for p in operation.get("parameters", [])
            if p["in"] == "query"
        ]
        if not fields:
            return sent
        where, name, sub = self.rng.choice(fields)
        odd = self.value(sub, odd=True, typed=self.rng.random() < 0.8)
        return {**sent, where: {**sent.get(where, {}), name: odd}}

    def remember(self, operation: dict[str, Any], sent: dict[str, Any]) -> None:
        """Keep a request the operation accepted, for ``one_odd`` to change."""
        accepted = self.accepted.setdefault(operation["operationId"], [])
        if len(accepted) < 10 and isinstance(sent.get("json", {}), dict):
            accepted.append(sent)


def _body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of the operation's JSON body, if it takes one."""
    content = operation.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema


def _sendable(sent: dict[str, Any]) -> dict[str, Any]:
    """The request as the test client takes it: query values as text, the body as JSON text."""
    params = {
        k: v if isinstance(v, str | int) else json.dumps(v) for k, v in sent["params"].items()
    }
    made: dict[str, Any] = {"params": params}
    if "json" in sent:
        made["content"] = json.dumps(sent["json"])
        made["headers"] = {"Content-Type": "application/json"}
    return made


def _answered_badly(response: Any) -> str | None:
    """What is wrong with an answer: a 5xx, or an error that is not a full problem document."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:300]}"
    if response.status_code < 400:
        return None
    problem = response.json() if response.headers["content-type"] == PROBLEM_JSON else {}
    if problem.get("status") != response.status_code or not problem.get("detail"):
        return f"{response.status_code} without a problem document: {response.text[:300]}"
    return None


@pytest.mark.parametrize("seed", [1, 2])
def test_no_request_to_any_route_gets_a_5xx_or_an_error_without_a_problem(
    api: Api, desk: Desk, seed: int
) -> None:
    """Requests with odd values, to every route, on an org with numbers, agents, a group and a
    campaign (the demo org), some with the admin token: results or problem documents, and
    never a 5xx."""
    key = ensure_demo(desk).api_key
    document = api.call("GET", "/openapi.json").json()
    requests = Requests(document, seed)
    for path, operations in document["paths"].items():
        if "get" in operations and "{" not in path:
            _learn_from(requests, api.call("GET", path, key))
    wrong: list[str] = []
    for _ in range(ROUNDS):
        for path, operations in document["paths"].items():
            platform = path == "/v1/orgs" or path.startswith("/v1/sandbox")
            for method, operation in operations.items():
                admin = requests.rng.random() < (0.9 if platform else 0.1)
                sent = requests.request(path, operation)
                response = api.call(
                    method.upper(), sent["url"], ADMIN_TOKEN if admin else key, **_sendable(sent)
                )
                if response.status_code < 300:
                    requests.remember(operation, sent)
                _learn_from(requests, response)
                if problem := _answered_badly(response):
                    wrong.append(f"{method.upper()} {sent} -> {problem}"[:900])
    assert not wrong, "\n".join(wrong[:10])


def _learn_from(requests: Requests, response: Any) -> None:
    """Let later requests use the ids and numbers a successful JSON answer names."""
    if response.status_code < 300 and response.headers.get("content-type") == "application/json":
        requests.learn(response.json())
