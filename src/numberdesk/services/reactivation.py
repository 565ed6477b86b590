"""Re-enabling a number suspended because its mandate stopped being active (C3)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from numberdesk.domain import mandates as rules
from numberdesk.domain.errors import FieldError, Invalid, invalid_field
from numberdesk.domain.numbers import Number, Status, all_area_codes
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.services.audit import picture, record
from numberdesk.services.desk import Desk
from numberdesk.services.mandates import expire_due, require_mandate
from numberdesk.services.numbers import NumberView
from numberdesk.store.uow import Transaction


def reactivate_number(
    desk: Desk, actor: Actor, number_id: str, mandate_id: str | None
) -> NumberView:
    """Re-enable a suspended number under an active mandate of its owner that covers it (C3)."""
    require_manager(actor, "reactivate numbers")
    with desk.store.transaction() as tx:
        now = desk.now()
        expire_due(tx, actor.org_id, now)
        number = tx.numbers.lock(actor.org_id, number_id)
        rules.require_suspended(number)
        after = dataclasses.replace(
            number,
            status=Status.ACTIVE,
            status_reason=None,
            mandate_id=_mandate_for(tx, number, mandate_id, now),
        )
        tx.numbers.save(after)
        mapped = tx.area_codes.of_number(actor.org_id, number_id)
        change = picture(number, mapped), picture(after, mapped)
        record(tx, now, actor, "number", number_id, "reactivate", *change)
    return NumberView(after, all_area_codes(after, mapped))


def _mandate_for(
    tx: Transaction, number: Number, mandate_id: str | None, at: datetime
) -> str | None:
    """The mandate a reactivated number will depend on (None: it needs none)."""
    purpose = rules.needed_purpose(number)
    if purpose is None:
        if mandate_id is not None:
            raise invalid_field(
                "mandate_id",
                f"{number.e164} is your own purchased number and needs no mandate; leave "
                "mandate_id out",
                code="mandate_not_needed",
            )
        return None
    grantor_type, grantor_id = rules.owner_of(number)
    if mandate_id is None:
        owner = "your organisation" if grantor_id is None else f"sponsor {grantor_id}"
        raise Invalid(
            "mandate_required",
            f"{number.e164} needs an active {purpose.value} mandate from {owner} that covers "
            f"it (rules {rules.RULE_OF[purpose]}, C3); give its mandate_id.",
            errors=[FieldError("mandate_id", f"give an active {purpose.value} mandate")],
            extra={"rule": rules.RULE_OF[purpose]},
        )
    found = require_mandate(
        tx,
        number.org_id,
        mandate_id,
        purpose=purpose,
        grantor_type=grantor_type,
        grantor_id=grantor_id,
        e164s=[number.e164],
        at=at,
    )
    return found.id
