"""Spam reports in the database, and the number row they lock while they count (O6)."""

from __future__ import annotations

from sqlalchemy import func, select

from numberdesk.domain.resting import ReportWindow, SpamReport
from numberdesk.store import schema as s
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


def spam_reports(tx: Transaction) -> SpamReportRepo:
    """The spam reports, inside ``tx``."""
    return SpamReportRepo(tx.conn)
