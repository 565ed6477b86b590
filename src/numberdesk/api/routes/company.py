"""Company numbers (I5-I11): the unknown-caller rules, source, tag and concurrent-call limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep
from numberdesk.api.schemas import ANY_USER, MANAGER, Body
from numberdesk.domain.company import (
    DEFAULT_MAX_CONCURRENT_CALLS,
    MAX_BLAST_AGENTS,
    MAX_CONCURRENT_CALLS_LIMIT,
    MAX_CUSTOM_RULES,
)
from numberdesk.services import company
from numberdesk.services.company import CompanyView

router = APIRouter(tags=["company numbers"])


class RuleIn(Body):
    """What to do with an unknown caller (I5)."""

    action: str = Field(examples=["user"], description="`blast`, `user` or `number`.")
    agent_ids: list[str] | None = Field(
        None, description=f"For `blast`: 1 to {MAX_BLAST_AGENTS} users rung at once (I6)."
    )
    agent_id: str | None = Field(None, description="For `user`: the one user who takes the call.")
    number: str | None = Field(
        None, examples=["+12125550123"], description="For `number`: the bridge number."
    )


class CustomRuleIn(RuleIn):
    """A rule in force on some weekdays, in a time window of the organisation's time zone."""

    name: str | None = Field(None, examples=["Evenings"], description="Unique per number.")
    days: list[str] | None = Field(None, examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str | None = Field(None, examples=["17:00"], description="HH:MM, included.")
    end: str | None = Field(
        None,
        examples=["22:00"],
        description="HH:MM, excluded; an end before the start crosses midnight.",
    )


class CompanyIn(Body):
    """A company number's settings; they replace any saved before."""

    source: str | None = Field(
        None, description="The source of contacts created from its unknown callers (I9)."
    )
    tag: str | None = Field(None, description="The tag those contacts get (I9).")
    max_concurrent_calls: int | None = Field(
        None,
        description=f"1 to {MAX_CONCURRENT_CALLS_LIMIT}, default {DEFAULT_MAX_CONCURRENT_CALLS}; "
        "the next call gets `busy` (I10).",
    )
    default_rule: RuleIn = Field(description="Decides when no custom rule is in force (I5).")
    custom_rules: list[CustomRuleIn] | None = Field(
        None,
        description=f"Up to {MAX_CUSTOM_RULES}; they may not overlap. The first in force wins.",
    )


class CompanyOut(BaseModel):
    """A company number's settings."""

    number_id: str
    source: str | None
    tag: str | None
    max_concurrent_calls: int
    default_rule: dict[str, Any]
    custom_rules: list[dict[str, Any]]
    updated_at: datetime
    hint: str | None = Field(
        None,
        description="Set when the number's route is not `company`: the settings are not used "
        "until it is.",
    )

    @classmethod
    def of(cls, view: CompanyView) -> CompanyOut:
        """The API view of a company number's settings."""
        return cls(
            number_id=view.number_id,
            updated_at=view.updated_at,
            hint=view.hint,
            **view.settings.to_json(),
        )


@router.put(
    "/v1/numbers/{number_id}/company",
    response_model=CompanyOut,
    description=f"{MANAGER} (I11) Replaces the number's company settings; they do not change "
    "its route. Agents must be live users of your organisation. 409 `rule_overlap` names the "
    f"two overlapping custom rules; 422 `too_many_rules` beyond {MAX_CUSTOM_RULES} custom "
    f"rules, `too_many_agents` beyond {MAX_BLAST_AGENTS} blast agents; a masked number is 422 "
    "`capability_missing` (N2), a released one 409 `number_not_live`.",
)
def put_company(number_id: str, body: CompanyIn, desk: DeskDep, actor: ActorDep) -> CompanyOut:
    """Set a company number's unknown-caller rules, source, tag and call limit."""
    data = body.model_dump(exclude_unset=True)
    return CompanyOut.of(company.set_company(desk, actor, number_id, data))


@router.get(
    "/v1/numbers/{number_id}/company",
    response_model=CompanyOut,
    description=f"{ANY_USER} (I11) 404 `company_settings_not_found` when none are saved.",
)
def get_company(number_id: str, desk: DeskDep, actor: ActorDep) -> CompanyOut:
    """Read a company number's settings."""
    return CompanyOut.of(company.get_company(desk, actor, number_id))
