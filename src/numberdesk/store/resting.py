"""Spam reports in the database, and the number row they lock while they count (O6)."""

from __future__ import annotations

from sqlalchemy import func, select

from numberdesk.domain.errors import not_found
from numberdesk.domain.numbers import Number
from numberdesk.domain.resting import ReportWindow, SpamReport
from numberdesk.store import schema as s
from numberdesk.store.records import load
from numberdesk.store.repo import Repo
from numberdesk.store.uow import Transaction


class SpamReportRepo(Repo[SpamReport]):
    """Every spam report of the org's numbers; repeats are kept and counted once."""

    table = s.spam_reports
    cls = SpamReport
    entity = "spam_report"

    def reporters(self, org_id: str, number_id: str, window: ReportWindow) -> int:
        """How many distinct users reported the number within ``window``, in one query."""
        t = s.spam_reports.c
        query = select(func.count(t.reported_by.distinct())).where(
            t.org_id == org_id, t.number_id == number_id, t.at >= window.since
        )
        return int(self.conn.execute(query).scalar_one())


def lock_number(tx: Transaction, org_id: str, number_id: str) -> Number:
    """The number, row-locked until ``tx`` ends, or 404: concurrent reports of one number are
    counted one after another, so it rests once (PostgreSQL; SQLite has one writer)."""
    t = s.numbers.c
    query = select(s.numbers).where(t.org_id == org_id, t.id == number_id).with_for_update()
    row = tx.conn.execute(query).first()
    if row is None:
        raise not_found("number", number_id)
    return load(Number, row)


def spam_reports(tx: Transaction) -> SpamReportRepo:
    """The spam reports, inside ``tx``."""
    return SpamReportRepo(tx.conn)
