"""Contacts from the CRM: upsert by its id, read with the timeline, find by phone (I4, I9)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep
from numberdesk.api.schemas import ANY_USER, MANAGER, Body
from numberdesk.services import contacts
from numberdesk.services.contacts import ContactView

router = APIRouter(tags=["contacts"])
ExternalId = Path(description="The CRM's own id of the contact.", max_length=200)


class ContactIn(Body):
    """The contact as the CRM has it; omitting ``source`` or ``tags`` keeps them."""

    name: str = Field(max_length=200, examples=["Jane Borrower"])
    phones: list[str] = Field(examples=[["+12125550142"]], description="National input allowed.")
    primary_agent_id: str
    source: str | None = Field(default=None, max_length=100, examples=["Website"])
    tags: list[str] | None = None


class TimelineOut(BaseModel):
    """One thing that happened with the contact."""

    at: datetime
    kind: str
    text: str
    call_id: str | None


class ContactOut(BaseModel):
    """A contact, with its timeline when read one at a time."""

    id: str
    external_id: str
    name: str
    phones: list[str]
    primary_agent_id: str
    source: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineOut] | None = None


class ContactList(BaseModel):
    """Contacts with a phone."""

    items: list[ContactOut]
    next: str | None = None


def _out(view: ContactView) -> ContactOut:
    c = view.contact
    return ContactOut(
        **{k: getattr(c, k) for k in ContactOut.model_fields if k != "timeline"},
        timeline=[
            TimelineOut(at=t.at, kind=t.kind, text=t.text, call_id=t.call_id) for t in view.timeline
        ],
    )


@router.put(
    "/v1/contacts/{external_id}",
    response_model=ContactOut,
    status_code=200,
    description=MANAGER + " 201 when the contact is new, 200 when it was replaced.",
)
def put_contact(
    body: ContactIn,
    desk: DeskDep,
    actor: ActorDep,
    response: Response,
    external_id: str = ExternalId,
) -> ContactOut:
    """Create or replace a contact by the CRM's id."""
    view, created = contacts.put_contact(
        desk, actor, external_id, body.model_dump(exclude_unset=True)
    )
    response.status_code = 201 if created else 200
    return _out(view)


@router.get("/v1/contacts/{external_id}", response_model=ContactOut, description=ANY_USER)
def get_contact(desk: DeskDep, actor: ActorDep, external_id: str = ExternalId) -> ContactOut:
    """Read a contact with its timeline."""
    return _out(contacts.get_contact(desk, actor, external_id))


@router.get("/v1/contacts", response_model=ContactList, description=ANY_USER)
def contacts_with_phone(
    desk: DeskDep,
    actor: ActorDep,
    phone: str = Query(description="A phone number; national input uses the org's country."),
) -> ContactList:
    """List the contacts with a phone number, oldest first."""
    found = contacts.contacts_with_phone(desk, actor, phone)
    return ContactList(
        items=[_out(ContactView(c, [])).model_copy(update={"timeline": None}) for c in found]
    )
