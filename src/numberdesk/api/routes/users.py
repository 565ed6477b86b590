"""Users: agents, admins and owners; presence; their personal and company numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit
from numberdesk.api.idempotency import RETRY_SAFE, OnceDep
from numberdesk.api.schemas import ANY_USER, MANAGER, Body, ListOf
from numberdesk.domain.users import Presence, User
from numberdesk.services import users

router = APIRouter(tags=["users"])
SELF_OR_MANAGER = "Role: owner or admin, or the user themselves (agents: only their own card)."

RoleName = Literal["owner", "admin", "agent"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Hours(Body):
    """A weekly window of business hours; ``end`` before ``start`` crosses midnight."""

    days: list[Day] = Field(min_length=1)
    start: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["09:00"])
    end: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["17:00"])


class UserFields(Body):
    """Fields of a user's card."""

    extension: str | None = Field(None, examples=["sip:alice@pbx.example.com"])
    work_phone: str | None = None
    caller_id: str | None = None
    sender_id: str | None = None
    voicemail_email: str | None = None
    not_reachable_number: str | None = None
    greeting_url: str | None = None
    business_hours: list[Hours] | None = None


class UserCreate(UserFields):
    """A new user."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    role: RoleName


class UserPatch(UserFields):
    """Fields to change; leave out what stays."""

    name: str | None = None
    email: str | None = None
    role: RoleName | None = None


class UserOut(BaseModel):
    """A user's card."""

    id: str
    name: str
    email: str
    role: str
    extension: str | None
    work_phone: str | None
    caller_id: str | None
    sender_id: str | None
    voicemail_email: str | None
    not_reachable_number: str | None
    greeting_url: str | None
    business_hours: list[dict[str, object]] | None
    presence: str
    personal_number_id: str | None
    company_number_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """The API view of a user."""
        return cls(**{k: getattr(user, k) for k in cls.model_fields})


class PresenceIn(Body):
    """Whether the user can take calls now."""

    status: Presence


class NumbersIn(Body):
    """The user's personal and company numbers (null clears one; leave out what stays)."""

    personal_number_id: str | None = None
    company_number_id: str | None = None


def _fields(body: Body) -> dict[str, object]:
    return body.model_dump(exclude_unset=True, mode="json")


@router.post(
    "/v1/users", status_code=201, response_model=UserOut, description=f"{MANAGER} {RETRY_SAFE}"
)
def create_user(body: UserCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Add a user (only owners add owners)."""
    return once.create(
        desk, actor, body, lambda: UserOut.of(users.create_user(desk, actor, _fields(body)))
    )


@router.get(
    "/v1/users",
    response_model=ListOf[UserOut],
    description=ANY_USER + " Agents see only themselves.",
)
def list_users(
    desk: DeskDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None
) -> ListOf[UserOut]:
    """List the organisation's users."""
    page = users.list_users(desk, actor, cursor=cursor, limit=limit)
    return ListOf[UserOut](items=[UserOut.of(u) for u in page.items], next=page.next)


@router.get("/v1/users/{user_id}", response_model=UserOut, description=SELF_OR_MANAGER)
def read_user(user_id: str, desk: DeskDep, actor: ActorDep) -> UserOut:
    """Read a user's card."""
    return UserOut.of(users.get_user(desk, actor, user_id))


@router.patch("/v1/users/{user_id}", response_model=UserOut, description=SELF_OR_MANAGER)
def patch_user(user_id: str, body: UserPatch, desk: DeskDep, actor: ActorDep) -> UserOut:
    """Change a user's card."""
    return UserOut.of(users.update_user(desk, actor, user_id, _fields(body)))


@router.delete("/v1/users/{user_id}", status_code=204, description=MANAGER)
def delete_user(user_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Remove a user and revoke their API keys."""
    users.delete_user(desk, actor, user_id)
    return Response(status_code=204)


@router.put("/v1/users/{user_id}/presence", response_model=UserOut, description=SELF_OR_MANAGER)
def put_presence(user_id: str, body: PresenceIn, desk: DeskDep, actor: ActorDep) -> UserOut:
    """Log in, log out, or mark busy."""
    return UserOut.of(users.set_presence(desk, actor, user_id, body.status))


@router.put("/v1/users/{user_id}/numbers", response_model=UserOut, description=MANAGER)
def put_numbers(user_id: str, body: NumbersIn, desk: DeskDep, actor: ActorDep) -> UserOut:
    """Assign the user's personal number and company number."""
    changes = body.model_dump(exclude_unset=True)
    return UserOut.of(users.assign_numbers(desk, actor, user_id, changes))
