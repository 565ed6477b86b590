"""The Carrier protocol: what numberdesk asks of the operator that really owns the numbers.

A carrier is an external system: it keeps its own state and its own transactions. The
numbers service orders first (all-or-nothing at the carrier) and releases again if its own
transaction then fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from numberdesk.domain.errors import Conflict


@dataclass(frozen=True)
class OfferedNumber:
    """A number in the carrier's inventory."""

    e164: str
    country: str
    area_code: str | None
    line_type: str
    kind: str


class NoNumbersAvailable(Conflict):
    """The carrier cannot supply the quantity asked for; nothing was bought (N4)."""

    def __init__(self, detail: str) -> None:
        super().__init__("no_numbers_available", detail)


class Carrier(Protocol):
    """Search, order and release numbers; verification and porting come later (issue 3)."""

    name: str

    def search(
        self, country: str, area_code: str | None, kind: str, limit: int
    ) -> list[OfferedNumber]:
        """Up to ``limit`` numbers on offer now (never one already sold)."""
        ...

    def order(
        self, org_id: str, country: str, area_code: str | None, kind: str, quantity: int
    ) -> list[OfferedNumber]:
        """Buy ``quantity`` numbers at once, or raise NoNumbersAvailable and buy none."""
        ...

    def order_numbers(self, org_id: str, e164s: list[str], kind: str) -> list[OfferedNumber]:
        """Buy exactly these numbers, or raise NoNumbersAvailable and buy none."""
        ...

    def release(self, org_id: str, e164s: list[str]) -> None:
        """Give numbers back to the carrier (they are not offered again)."""
        ...

    # --- Masking (N6): the ownership check by a verification call ---

    def place_verification_call(self, org_id: str, e164: str) -> str:
        """Call ``e164`` (any valid number, not only ours) and read out a one-time code.

        Returns the carrier's call id; the code itself stays with the carrier.
        """
        ...

    def check_verification_code(self, org_id: str, call_id: str, code: str) -> bool:
        """Whether ``code`` is the one read out on that call; a right code is used up."""
        ...

    # --- Branding (N9) and directory registration (N10): the carrier reviews requests ---

    def submit_branding(
        self,
        org_id: str,
        e164: str,
        *,
        display_name: str,
        location: str | None,
        logo_url: str | None,
        call_reason: str | None,
    ) -> None:
        """Ask to show this identity on the number's calls; the decision comes later."""
        ...

    def withdraw_branding(self, org_id: str, e164: str) -> None:
        """Stop showing (or reviewing) the number's branding."""
        ...

    def submit_directory_listing(
        self, org_id: str, e164: str, *, directory: str, company_name: str
    ) -> None:
        """Ask the directory to list the number under ``company_name``; the decision comes later."""
        ...

    def withdraw_directory_listing(self, org_id: str, e164: str, *, directory: str) -> None:
        """Take the number out of the directory (or withdraw the request)."""
        ...

    # --- Porting (N7): port-ins we ask for, port-outs the carrier tells us about ---

    def submit_port_in(self, org_id: str, port_in_id: str, e164s: list[str]) -> None:
        """Ask for these numbers to be ported in from their losing carrier.

        The carrier answers later (confirmed with a completion date, completed, or rejected
        with a reason); it raises a Problem when it refuses the request at once.
        """
        ...

    def cancel_port_in(self, org_id: str, port_in_id: str) -> None:
        """Withdraw a port-in request that has not completed."""
        ...

    def ported_out(self, org_id: str, e164: str) -> None:
        """Acknowledge a port-out notice: the carrier no longer serves the number for the org."""
        ...
