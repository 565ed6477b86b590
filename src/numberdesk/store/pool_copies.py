"""Each caller-ID pool's copy of its numbers in the database (rule O5): a ``pool_numbers`` row
per usable number with a copy of its use, so that a pool's pick is the first row of an index
however big the pool, and the pool's ``caller_id_pools`` row naming the fingerprint of the
numbers it copied. A pick copies its pool again when the fingerprint changed; a process that
keeps its index current copies the pools calls have used as soon as they change
(``services/callerid.renew_pool_copies``), so that no call waits for that."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select, update

from numberdesk.domain.callerid_index import Pool
from numberdesk.domain.callerid_picks import NEVER
from numberdesk.store import callerid_sql as sql
from numberdesk.store import schema as s


def ensure_usage_rows(conn: Connection, org_id: str, number_ids: Sequence[str], day: str) -> None:
    """Give every number a usage row; safe when several processes do it at once."""
    rows = [{"org_id": org_id, "number_id": n, "day": day, "calls": 0} for n in number_ids]
    for start in range(0, len(rows), 5000):
        conn.execute(sql.new_usage_rows(conn.dialect.name), rows[start : start + 5000])


class PoolCopies:
    """The org's pools' copies of their numbers."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def fingerprints(self, org_id: str) -> dict[str, str | None]:
        """The fingerprint each pool a call has used was last copied with, by pool key."""
        p = s.caller_id_pools.c
        query = select(p.pool, p.members).where(p.org_id == org_id)
        return {row.pool: row.members for row in self.conn.execute(query)}

    def renew(self, org_id: str, key: str, pool: Pool) -> None:
        """Copy the pool again unless its copy is current (another process renewed it), holding
        its row as a pick does: a pick of the pool waits meanwhile, then finds it current."""
        values = {"org": org_id, "pool_key": key}
        members = self.conn.execute(sql.lock_pool(self.conn.dialect.name), values).scalar_one()
        if members != pool.fingerprint:
            self.copy(org_id, key, pool)

    def copy(self, org_id: str, key: str, pool: Pool) -> None:
        """Copy the pool's usable numbers, with their use so far, as ``pool_numbers`` rows."""
        self.conn.execute(sql.drop_pool_rows(), {"org": org_id, "pool_key": key})
        ids = [c.id for c in pool.usable]
        ensure_usage_rows(self.conn, org_id, ids, "")
        rows = []
        for start in range(0, len(ids), 1000):
            used = self.conn.execute(
                sql.usage_of(), {"org": org_id, "ids": ids[start : start + 1000]}
            )
            use = {row.number_id: row for row in used}
            for c in pool.usable[start : start + 1000]:
                day, calls, last = use[c.id].day, use[c.id].calls, use[c.id].last_used_at
                rows.append(
                    {
                        "org_id": org_id,
                        "pool": key,
                        "number_id": c.id,
                        "day": day if last else "",
                        "calls": calls if last else 0,
                        "last_used_at": last or NEVER,
                        "rested_until": c.rested_until,
                        "mandate_ends": c.mandate_ends,
                    }
                )
        for start in range(0, len(rows), 5000):
            self.conn.execute(insert(s.pool_numbers), rows[start : start + 5000])
        self.conn.execute(
            update(s.caller_id_pools)
            .where(s.caller_id_pools.c.org_id == org_id, s.caller_id_pools.c.pool == key)
            .values(members=pool.fingerprint)
        )
