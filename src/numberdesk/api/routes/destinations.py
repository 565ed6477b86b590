"""Inbound queues and custom destinations (named SIP URIs that routes can send calls to)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit
from numberdesk.api.idempotency import RETRY_SAFE, OnceDep
from numberdesk.api.schemas import ANY_USER, MANAGER, Body, ListOf
from numberdesk.domain.destinations import Destination, Queue
from numberdesk.services import destinations

router = APIRouter(tags=["queues and destinations"])
URI_EXAMPLE = "sip:sales@pbx.example.com"


class QueueCreate(Body):
    """A new inbound queue."""

    name: str = Field(max_length=200, examples=["Sales"])
    uri: str | None = Field(default=None, max_length=255, examples=[URI_EXAMPLE])


class QueuePatch(Body):
    """What to change; ``uri: null`` clears the queue's SIP URI."""

    name: str | None = Field(default=None, max_length=200)
    uri: str | None = Field(default=None, max_length=255)


class QueueOut(BaseModel):
    """An inbound queue."""

    id: str
    name: str
    uri: str | None
    created_at: datetime

    @classmethod
    def of(cls, queue: Queue) -> QueueOut:
        """The API view of a queue."""
        return cls(id=queue.id, name=queue.name, uri=queue.uri, created_at=queue.created_at)


class DestinationCreate(Body):
    """A new custom destination: a name and a SIP URI."""

    name: str = Field(max_length=200, examples=["Night service"])
    uri: str = Field(max_length=255, examples=[URI_EXAMPLE])


class DestinationPatch(Body):
    """What to change."""

    name: str | None = Field(default=None, max_length=200)
    uri: str | None = Field(default=None, max_length=255)


class DestinationOut(BaseModel):
    """A custom destination."""

    id: str
    name: str
    uri: str
    created_at: datetime

    @classmethod
    def of(cls, destination: Destination) -> DestinationOut:
        """The API view of a custom destination."""
        return cls(
            id=destination.id,
            name=destination.name,
            uri=destination.uri,
            created_at=destination.created_at,
        )


@router.post(
    "/v1/queues", status_code=201, response_model=QueueOut, description=f"{MANAGER} {RETRY_SAFE}"
)
def create_queue(body: QueueCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Create an inbound queue."""
    fields = body.model_dump(exclude_unset=True)
    return once.create(
        desk, actor, body, lambda: QueueOut.of(destinations.create_queue(desk, actor, fields))
    )


@router.get("/v1/queues", response_model=ListOf[QueueOut], description=ANY_USER)
def list_queues(
    desk: DeskDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None
) -> ListOf[QueueOut]:
    """List the organisation's queues, oldest first."""
    page = destinations.list_queues(desk, actor, cursor=cursor, limit=limit)
    return ListOf[QueueOut](items=[QueueOut.of(q) for q in page.items], next=page.next)


@router.get("/v1/queues/{queue_id}", response_model=QueueOut, description=ANY_USER)
def read_queue(queue_id: str, desk: DeskDep, actor: ActorDep) -> QueueOut:
    """Read one queue."""
    return QueueOut.of(destinations.get_queue(desk, actor, queue_id))


@router.patch("/v1/queues/{queue_id}", response_model=QueueOut, description=MANAGER)
def patch_queue(queue_id: str, body: QueuePatch, desk: DeskDep, actor: ActorDep) -> QueueOut:
    """Rename a queue or change its SIP URI."""
    changes = body.model_dump(exclude_unset=True)
    return QueueOut.of(destinations.update_queue(desk, actor, queue_id, changes))


@router.delete("/v1/queues/{queue_id}", status_code=204, description=MANAGER)
def delete_queue(queue_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Delete a queue."""
    destinations.delete_queue(desk, actor, queue_id)
    return Response(status_code=204)


@router.post(
    "/v1/destinations",
    status_code=201,
    response_model=DestinationOut,
    description=f"{MANAGER} {RETRY_SAFE}",
)
def create_destination(
    body: DestinationCreate, desk: DeskDep, actor: ActorDep, once: OnceDep
) -> Response:
    """Create a custom destination."""
    return once.create(
        desk,
        actor,
        body,
        lambda: DestinationOut.of(destinations.create_destination(desk, actor, body.model_dump())),
    )


@router.get("/v1/destinations", response_model=ListOf[DestinationOut], description=ANY_USER)
def list_destinations(
    desk: DeskDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None
) -> ListOf[DestinationOut]:
    """List the organisation's custom destinations, oldest first."""
    page = destinations.list_destinations(desk, actor, cursor=cursor, limit=limit)
    return ListOf[DestinationOut](items=[DestinationOut.of(d) for d in page.items], next=page.next)


@router.get(
    "/v1/destinations/{destination_id}", response_model=DestinationOut, description=ANY_USER
)
def read_destination(destination_id: str, desk: DeskDep, actor: ActorDep) -> DestinationOut:
    """Read one custom destination."""
    return DestinationOut.of(destinations.get_destination(desk, actor, destination_id))


@router.patch(
    "/v1/destinations/{destination_id}", response_model=DestinationOut, description=MANAGER
)
def patch_destination(
    destination_id: str, body: DestinationPatch, desk: DeskDep, actor: ActorDep
) -> DestinationOut:
    """Rename a custom destination or change its SIP URI."""
    changes = body.model_dump(exclude_unset=True)
    return DestinationOut.of(destinations.update_destination(desk, actor, destination_id, changes))


@router.delete("/v1/destinations/{destination_id}", status_code=204, description=MANAGER)
def delete_destination(destination_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Delete a custom destination."""
    destinations.delete_destination(desk, actor, destination_id)
    return Response(status_code=204)
