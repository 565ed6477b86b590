"""The sender of an outbound text (rules S1, S2): load the user's card, let the domain choose.

One read transaction (the org's country, the user, their numbers and those numbers'
addresses for compliance); nothing is written.
"""

from __future__ import annotations

from numberdesk.domain.compliance import compliance_of
from numberdesk.domain.numbers import Number
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.texts import (
    SenderNumber,
    TextCard,
    TextMode,
    TextRequest,
    TextSender,
    check_mode,
    choose_sender,
    is_phone_sender,
)
from numberdesk.domain.users import User
from numberdesk.services.desk import Desk
from numberdesk.store.addresses import AddressRepo
from numberdesk.store.uow import Transaction


def decide_text_sender(
    desk: Desk, actor: Actor, user_id: str, mode: TextMode | str, from_: str | None = None
) -> TextSender:
    """Choose the sender of one text for a user (S1 manual, S2 auto); agents only for themselves."""
    if user_id != actor.user_id:
        require_manager(actor, "choose text senders for other users")
    text_mode = check_mode(mode)
    with desk.store.transaction() as tx:
        country = tx.orgs.require(actor.org_id).country
        card = _card(tx, tx.users.require(actor.org_id, user_id))
    return choose_sender(card, TextRequest(text_mode, country, from_))


def _card(tx: Transaction, user: User) -> TextCard:
    """The user's sender ID and numbers as the decision sees them, with their compliance."""
    ids = [i for i in (user.personal_number_id, user.company_number_id) if i]
    numbers = {n.id: n for n in tx.numbers.by_ids(user.org_id, ids)}
    sender = _sender_number(tx, user)
    if sender is not None:
        numbers[sender.id] = sender
    addresses = AddressRepo(tx.conn).by_ids(
        user.org_id, {n.address_id for n in numbers.values() if n.address_id}
    )
    compliance = compliance_of(numbers.values(), addresses)
    seen = {
        n.id: SenderNumber(
            n.id, n.e164, n.kind, n.status, tuple(i.message for i in compliance[n.id].issues)
        )
        for n in numbers.values()
    }
    return TextCard(
        user_id=user.id,
        sender_id=user.sender_id,
        sender_number=seen.get(sender.id) if sender else None,
        personal=seen.get(user.personal_number_id or ""),
        company=seen.get(user.company_number_id or ""),
    )


def _sender_number(tx: Transaction, user: User) -> Number | None:
    """The org's live number a phone-number sender ID names, if any."""
    if not user.sender_id or not is_phone_sender(user.sender_id):
        return None
    return tx.numbers.live_by_e164(user.org_id, user.sender_id.strip())
