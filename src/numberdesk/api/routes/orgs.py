"""Organisations (platform), the key's own organisation, and API keys."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep, platform_admin
from numberdesk.api.idempotency import RETRY_SAFE, OnceDep
from numberdesk.api.schemas import ANY_USER, DAILY_CAP_HELP, MANAGER, PLATFORM, Body
from numberdesk.domain.orgs import Org
from numberdesk.domain.resting import MAX_REST_DAYS, MAX_SPAM_THRESHOLD, REPORT_WINDOW_DAYS
from numberdesk.services import orgs, users

router = APIRouter(tags=["organisations"])


class OrgCreate(Body):
    """A new organisation."""

    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, examples=["US"])
    timezone: str = "UTC"
    default_caller_id: str | None = None


class OrgCreated(BaseModel):
    """The new org, its first owner, and the owner's API key (shown only once)."""

    org_id: str
    owner_user_id: str
    api_key: str


class OrgOut(BaseModel):
    """An organisation's settings."""

    id: str
    name: str
    country: str
    timezone: str
    default_caller_id: str | None
    caller_id_policy: list[str]
    daily_cap: int | None
    spam_threshold: int
    spam_rest_days: int
    created_at: datetime

    @classmethod
    def of(cls, org: Org) -> OrgOut:
        """The API view of an org."""
        return cls(id=org.org_id, **{k: getattr(org, k) for k in cls.model_fields if k != "id"})


class OrgPatch(Body):
    """Settings to change; leave out what stays."""

    name: str | None = None
    country: str | None = None
    timezone: str | None = None
    default_caller_id: str | None = None
    caller_id_policy: list[str] | None = None
    daily_cap: int | None = Field(default=None, description=DAILY_CAP_HELP)
    spam_threshold: int | None = Field(
        default=None,
        description=f"Users whose spam reports within {REPORT_WINDOW_DAYS} days make a number "
        f"rest, 1 to {MAX_SPAM_THRESHOLD:,} (O6).",
    )
    spam_rest_days: int | None = Field(
        default=None,
        description=f"Days a number rests once reports made it, 1 to {MAX_REST_DAYS} (O6).",
    )


class KeyCreate(Body):
    """Whose key to make."""

    user_id: str


class KeyCreated(BaseModel):
    """A new API key, shown only now."""

    api_key: str


@router.post(
    "/v1/orgs",
    status_code=201,
    response_model=OrgCreated,
    dependencies=[Depends(platform_admin)],
    description=PLATFORM,
)
def create_org(body: OrgCreate, desk: DeskDep) -> OrgCreated:
    """Create an organisation with an owner and the owner's API key."""
    made = orgs.create_org(
        desk,
        name=body.name,
        country=body.country,
        timezone=body.timezone,
        default_caller_id=body.default_caller_id,
    )
    return OrgCreated(org_id=made.org.org_id, owner_user_id=made.owner.id, api_key=made.api_key)


@router.get("/v1/org", response_model=OrgOut, description=ANY_USER)
def read_org(desk: DeskDep, actor: ActorDep) -> OrgOut:
    """Read the key's own organisation."""
    return OrgOut.of(orgs.get_org(desk, actor))


@router.patch("/v1/org", response_model=OrgOut, description=MANAGER)
def patch_org(body: OrgPatch, desk: DeskDep, actor: ActorDep) -> OrgOut:
    """Change the organisation's settings."""
    return OrgOut.of(orgs.update_org(desk, actor, body.model_dump(exclude_unset=True)))


@router.post(
    "/v1/api-keys",
    status_code=201,
    response_model=KeyCreated,
    description=f"{MANAGER} {RETRY_SAFE} The key is shown only once, so a retry with the same "
    "Idempotency-Key makes no second key and gets 409 `secret_shown_once`.",
)
def create_api_key(body: KeyCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Make a new API key for a user of the organisation (shown once, stored as a hash)."""
    return once.create(
        desk,
        actor,
        body,
        lambda: KeyCreated(api_key=users.create_api_key(desk, actor, body.user_id)),
        secret="api_key",
    )
