"""The unit of work: one database transaction and the repositories that act inside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from numberdesk.domain.errors import database_unavailable
from numberdesk.store.audit import AuditRepo
from numberdesk.store.db import atomic
from numberdesk.store.idempotency import IdempotencyRepo
from numberdesk.store.orgs import ApiKeyRepo, OrgRepo, UserRepo
from numberdesk.store.pipeline import Pipeline
from numberdesk.store.pipeline_connect import Pipelines

if TYPE_CHECKING:
    from numberdesk.store.destinations import DestinationRepo, QueueRepo
    from numberdesk.store.groups import CampaignRepo, GroupRepo
    from numberdesk.store.numbers import AreaCodeRepo, NumberRepo, OrderRepo


class Transaction:
    """Everything one use case reads and writes, committed together or not at all."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.bumped_orgs: dict[str, int] = {}  # orgs whose call-path config moved, to which version
        self._atomic = False

    @contextmanager
    def atomic(self, *, short_lock_wait: bool = False) -> Iterator[None]:
        """A block whose statements commit together: on the call path's autocommit connection
        (PostgreSQL) a transaction of its own (its lock waits cut short if
        ``short_lock_wait``: ``db.atomic``), which a block inside it joins; in an ordinary
        transaction, nothing more to do."""
        if self._atomic:
            yield
            return
        self._atomic = True
        try:
            with atomic(self.conn, short_lock_wait=short_lock_wait):
                yield
        finally:
            self._atomic = False

    @cached_property
    def orgs(self) -> OrgRepo:
        """Organisations."""
        return OrgRepo(self.conn)

    @cached_property
    def users(self) -> UserRepo:
        """Users."""
        return UserRepo(self.conn)

    @cached_property
    def api_keys(self) -> ApiKeyRepo:
        """API keys (hashes only)."""
        return ApiKeyRepo(self.conn)

    @cached_property
    def audit(self) -> AuditRepo:
        """The audit trail."""
        return AuditRepo(self.conn)

    @cached_property
    def idempotency(self) -> IdempotencyRepo:
        """Remembered answers to Idempotency-Key requests."""
        return IdempotencyRepo(self.conn)

    @cached_property
    def numbers(self) -> NumberRepo:
        """Numbers."""
        from numberdesk.store.numbers import NumberRepo

        return NumberRepo(self.conn)

    @cached_property
    def area_codes(self) -> AreaCodeRepo:
        """Local-presence area codes mapped to numbers."""
        from numberdesk.store.numbers import AreaCodeRepo

        return AreaCodeRepo(self.conn)

    @cached_property
    def orders(self) -> OrderRepo:
        """Number orders."""
        from numberdesk.store.numbers import OrderRepo

        return OrderRepo(self.conn)

    @cached_property
    def groups(self) -> GroupRepo:
        """Groups of numbers."""
        from numberdesk.store.groups import GroupRepo

        return GroupRepo(self.conn)

    @cached_property
    def campaigns(self) -> CampaignRepo:
        """Campaigns."""
        from numberdesk.store.groups import CampaignRepo

        return CampaignRepo(self.conn)

    @cached_property
    def queues(self) -> QueueRepo:
        """Inbound queues."""
        from numberdesk.store.destinations import QueueRepo

        return QueueRepo(self.conn)

    @cached_property
    def destinations(self) -> DestinationRepo:
        """Custom destinations."""
        from numberdesk.store.destinations import DestinationRepo

        return DestinationRepo(self.conn)


# The transaction open in this context (FastAPI runs each sync route in its own copy; the
# decision routes run on the event loop, each in its request's task, and open and close
# their unit without awaiting in between).
_ambient: ContextVar[tuple[Store, Transaction] | None] = ContextVar("ambient", default=None)


class Store:
    """The database: hands out transactions; on PostgreSQL the call path's units come from an
    engine of their own (``db.make_call_path_engine``)."""

    def __init__(self, engine: Engine, call_path_engine: Engine | None = None) -> None:
        self.engine = engine
        self.call_path_engine = call_path_engine
        self._pipelines = Pipelines(call_path_engine) if call_path_engine is not None else None

    @property
    def one_writer_at_a_time(self) -> bool:
        """SQLite: one write lock for the whole database, which a call-path unit takes first
        and may wait for; PostgreSQL locks rows, held for a statement or an atomic block."""
        return self.call_path_engine is None

    def dispose(self) -> None:
        """Close every pooled connection, and every event loop's pipeline."""
        self.engine.dispose()
        if self.call_path_engine is not None:
            self.call_path_engine.dispose()
        if self._pipelines is not None:
            self._pipelines.close()

    async def pipeline(self) -> Pipeline | None:
        """PostgreSQL: the running event loop's pipeline of call-path statements
        (``store/pipeline``), connected in a worker thread when it has none yet; None on
        SQLite, whose call path runs in worker threads."""
        return await self._pipelines.of_this_loop() if self._pipelines is not None else None

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Nested use joins the ambient one: while a block of this store is open in this context
        (a thread, or a request: FastAPI runs each sync route in its own context copy), an
        inner ``transaction()`` yields the same ``Transaction``; only the outermost block
        commits or rolls back. So a service can run inside a caller's transaction (such as
        the one that stores an Idempotency-Key's answer). An exception that leaves an inner
        block must also leave the outer one, or the inner block's writes are kept.
        """
        yield from self._unit(self.engine.begin)

    @contextmanager
    def call_path(self) -> Iterator[Transaction]:
        """A unit of work for a decision on the call path, whose every write is one statement
        or an ``atomic`` block: on PostgreSQL, a connection of the call path's engine, where
        each statement commits by itself (no BEGIN and COMMIT round trips); on SQLite, an
        ordinary transaction. Joins an ambient transaction like ``transaction``."""
        engine = self.call_path_engine
        yield from self._unit(engine.connect if engine is not None else self.engine.begin)

    def _unit(
        self, opening: Callable[[], AbstractContextManager[Connection]]
    ) -> Iterator[Transaction]:
        """The ambient unit of work of this store, or a new one (``opening`` its connection)
        made ambient while it lasts."""
        ambient = _ambient.get()
        if ambient is not None and ambient[0] is self:
            yield ambient[1]
            return
        try:
            with opening() as conn:
                tx = Transaction(conn)
                token = _ambient.set((self, tx))
                try:
                    yield tx
                finally:
                    _ambient.reset(token)
        except DBAPIError as exc:
            if not self._transient(exc):
                raise
            raise database_unavailable() from exc

    def _transient(self, exc: DBAPIError) -> bool:
        """Whether a failure says the database could not answer just now (a lost connection, a
        lock or deadlock; on SQLite only a busy file), not that a statement is wrong."""
        if exc.connection_invalidated:
            return True
        if not isinstance(exc, OperationalError):
            return False
        return self.engine.dialect.name != "sqlite" or "locked" in str(exc.orig)

    def ping(self) -> bool:
        """Whether the database answers, asked outside any transaction (on SQLite a
        transaction would first wait for the write lock of whatever is writing)."""
        try:
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
            finally:
                raw.close()
        except Exception:
            return False
        return True
