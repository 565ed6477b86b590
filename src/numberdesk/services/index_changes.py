"""What changed in an org's call-path configuration since a process's index was made, read
from the audit trail (rule A3): each entry of a call-path change names the config version it
moved the org to, so an index is refreshed from the changes past its own version instead of
built whole (17 s at a million numbers: bench/README.md, nineteenth session)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from numberdesk.domain.orgs import Org
from numberdesk.store.uow import Transaction

MOST = 10_000  # past this many changes since an index was made, it is built whole again

# Entities whose id is a number's: the number is read again.
OF_A_NUMBER = frozenset({"number", "company_number", "branding", "directory_listing"})


@dataclass(frozen=True)
class Changes:
    """The objects changed since an index's version: their ids, by kind."""

    ids: Mapping[str, frozenset[str]]

    @property
    def entities(self) -> frozenset[str]:
        """Every kind of object changed."""
        return frozenset(self.ids)

    @property
    def numbers(self) -> frozenset[str]:
        """The ids of the numbers changed (``OF_A_NUMBER``)."""
        return frozenset().union(*(self.of(entity) for entity in OF_A_NUMBER))

    def of(self, entity: str) -> frozenset[str]:
        """The ids of the changed objects of one kind."""
        return self.ids.get(entity, frozenset())


def _changes_since(tx: Transaction, org_id: str, version: int, upto: int) -> Changes | None:
    """The changes that moved the org from ``version`` to ``upto``; None when there are more
    than ``MOST`` or a version in between names no change (the index is then built whole)."""
    rows = tx.audit.changes(org_id, version, upto, limit=MOST)
    if len(rows) > MOST or {v for v, _, _ in rows} != set(range(version + 1, upto + 1)):
        return None
    ids: dict[str, set[str]] = defaultdict(set)
    for _, entity, id_ in rows:
        ids[entity].add(id_)
    return Changes({entity: frozenset(found) for entity, found in ids.items()})


def refreshable(
    tx: Transaction, org: Org, held_version: int | None, follows: frozenset[str]
) -> Changes | None:
    """The changes an index at ``held_version`` must follow to be the org's as it stands now;
    None when it must be built whole instead (none held, an org version not past the
    index's, too many changes, or a change of a kind not in ``follows``)."""
    if held_version is None or held_version >= org.config_version:
        return None
    changes = _changes_since(tx, org.org_id, held_version, org.config_version)
    return changes if changes is not None and changes.entities <= follows else None
