"""Groups of numbers and outbound campaigns (rules N2, N12, O3)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StrictBool, StrictInt

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit
from numberdesk.api.idempotency import RETRY_SAFE, OnceDep
from numberdesk.api.schemas import ANY_USER, DAILY_CAP_HELP, MANAGER, Body, ListOf
from numberdesk.domain.groups import Campaign, Group
from numberdesk.services import groups

router = APIRouter(tags=["groups and campaigns"])

Ids = list[str]
POLICY_HELP = (
    "Ordered caller-ID steps (O3), each once: local_presence, nearby, agent, campaign, "
    "personal, company, organisation. null = the organisation's default policy."
)


class GroupCreate(Body):
    """A new group: a name and its numbers (any kind of number)."""

    name: str = Field(max_length=200, examples=["New York lines"])
    number_ids: Ids = Field(default_factory=list, max_length=1000)


class GroupPatch(Body):
    """What to change; ``number_ids`` replaces the whole set."""

    name: str | None = Field(default=None, max_length=200)
    number_ids: Ids | None = Field(default=None, max_length=1000)


class GroupOut(BaseModel):
    """A named set of numbers."""

    id: str
    name: str
    number_ids: Ids
    created_at: datetime

    @classmethod
    def of(cls, group: Group) -> GroupOut:
        """The API view of a group."""
        return cls(
            id=group.id, name=group.name, number_ids=group.number_ids, created_at=group.created_at
        )


class CampaignCreate(Body):
    """A new campaign. Its numbers, direct or through groups, must be able to make calls (N2)."""

    name: str = Field(max_length=200, examples=["Spring renewals"])
    number_ids: Ids = Field(default_factory=list, max_length=1000)
    group_ids: Ids = Field(default_factory=list, max_length=1000)
    caller_id_policy: list[str] | None = Field(
        default=None, description=POLICY_HELP, examples=[["local_presence", "campaign"]]
    )
    daily_cap: StrictInt | None = Field(default=None, description=DAILY_CAP_HELP)
    sticky: StrictBool = Field(default=True, description="Show a callee the number they saw last.")


class CampaignPatch(Body):
    """What to change; ``number_ids`` and ``group_ids`` replace the sets."""

    name: str | None = Field(default=None, max_length=200)
    number_ids: Ids | None = Field(default=None, max_length=1000)
    group_ids: Ids | None = Field(default=None, max_length=1000)
    caller_id_policy: list[str] | None = Field(default=None, description=POLICY_HELP)
    daily_cap: StrictInt | None = Field(default=None, description=DAILY_CAP_HELP)
    sticky: StrictBool | None = None


class CampaignOut(BaseModel):
    """An outbound campaign."""

    id: str
    name: str
    number_ids: Ids
    group_ids: Ids
    caller_id_policy: list[str] | None = Field(description="null = the organisation's default.")
    daily_cap: int | None
    sticky: bool
    created_at: datetime

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignOut:
        """The API view of a campaign."""
        return cls(**{k: getattr(campaign, k) for k in cls.model_fields})


@router.post(
    "/v1/groups", status_code=201, response_model=GroupOut, description=f"{MANAGER} {RETRY_SAFE}"
)
def create_group(body: GroupCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Create a group of numbers."""
    return once.create(
        desk, actor, body, lambda: GroupOut.of(groups.create_group(desk, actor, body.model_dump()))
    )


@router.get("/v1/groups", response_model=ListOf[GroupOut], description=ANY_USER)
def list_groups(
    desk: DeskDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None
) -> ListOf[GroupOut]:
    """List the organisation's groups, oldest first."""
    page = groups.list_groups(desk, actor, cursor=cursor, limit=limit)
    return ListOf[GroupOut](items=[GroupOut.of(g) for g in page.items], next=page.next)


@router.get("/v1/groups/{group_id}", response_model=GroupOut, description=ANY_USER)
def read_group(group_id: str, desk: DeskDep, actor: ActorDep) -> GroupOut:
    """Read one group."""
    return GroupOut.of(groups.get_group(desk, actor, group_id))


@router.patch("/v1/groups/{group_id}", response_model=GroupOut, description=MANAGER)
def patch_group(group_id: str, body: GroupPatch, desk: DeskDep, actor: ActorDep) -> GroupOut:
    """Rename a group or replace its numbers."""
    changes = body.model_dump(exclude_unset=True)
    return GroupOut.of(groups.update_group(desk, actor, group_id, changes))


@router.delete("/v1/groups/{group_id}", status_code=204, description=MANAGER)
def delete_group(group_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Delete a group; campaigns that used it lose it."""
    groups.delete_group(desk, actor, group_id)
    return Response(status_code=204)


@router.post(
    "/v1/campaigns",
    status_code=201,
    response_model=CampaignOut,
    description=f"{MANAGER} {RETRY_SAFE}",
)
def create_campaign(
    body: CampaignCreate, desk: DeskDep, actor: ActorDep, once: OnceDep
) -> Response:
    """Create an outbound campaign."""
    return once.create(
        desk,
        actor,
        body,
        lambda: CampaignOut.of(groups.create_campaign(desk, actor, body.model_dump())),
    )


@router.get("/v1/campaigns", response_model=ListOf[CampaignOut], description=ANY_USER)
def list_campaigns(
    desk: DeskDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None
) -> ListOf[CampaignOut]:
    """List the organisation's campaigns, oldest first."""
    page = groups.list_campaigns(desk, actor, cursor=cursor, limit=limit)
    return ListOf[CampaignOut](items=[CampaignOut.of(c) for c in page.items], next=page.next)


@router.get("/v1/campaigns/{campaign_id}", response_model=CampaignOut, description=ANY_USER)
def read_campaign(campaign_id: str, desk: DeskDep, actor: ActorDep) -> CampaignOut:
    """Read one campaign."""
    return CampaignOut.of(groups.get_campaign(desk, actor, campaign_id))


@router.patch("/v1/campaigns/{campaign_id}", response_model=CampaignOut, description=MANAGER)
def patch_campaign(
    campaign_id: str, body: CampaignPatch, desk: DeskDep, actor: ActorDep
) -> CampaignOut:
    """Change a campaign's name, numbers, groups, caller-ID policy or options."""
    changes = body.model_dump(exclude_unset=True)
    return CampaignOut.of(groups.update_campaign(desk, actor, campaign_id, changes))


@router.delete("/v1/campaigns/{campaign_id}", status_code=204, description=MANAGER)
def delete_campaign(campaign_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Delete a campaign; its numbers and groups stay."""
    groups.delete_campaign(desk, actor, campaign_id)
    return Response(status_code=204)
