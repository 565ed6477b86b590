"""The embedded sandbox carrier's branding and directory registration reviews (N9, N10).

The sandbox takes every request; its reviewer is whoever plays the carrier's side: the
sandbox endpoints (``POST /v1/sandbox/brandings/{number_id}``,
``POST /v1/sandbox/directory-listings/{number_id}``) or ``numberdesk carrier review-branding``
and ``review-listing``. Their decisions reach numberdesk the way a real carrier's notices would,
through ``services.branding.branding_reviewed`` and ``listing_reviewed``. The sandbox keeps no
state of its own for reviews (the requests waiting are numberdesk's submitted ones), so it never
writes while numberdesk's transaction is open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

log = logging.getLogger("numberdesk.sandbox")


class SandboxReviews:
    """Mixed into SandboxCarrier: branding and directory registration reviews (N9, N10)."""

    _engine: Engine
    _clock: Callable[[], datetime]

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
        """Take a branding request for review (decided later by the sandbox's reviewer)."""
        log.info("sandbox: branding %r for %s (org %s) awaits review", display_name, e164, org_id)

    def withdraw_branding(self, org_id: str, e164: str) -> None:
        """Forget the number's branding."""
        log.info("sandbox: branding of %s (org %s) withdrawn", e164, org_id)

    def submit_directory_listing(
        self, org_id: str, e164: str, *, directory: str, company_name: str
    ) -> None:
        """Take a directory registration for review (decided later by the sandbox's reviewer)."""
        log.info("sandbox: %s listing of %s as %r awaits review", directory, e164, company_name)

    def withdraw_directory_listing(self, org_id: str, e164: str, *, directory: str) -> None:
        """Take the number out of the directory."""
        log.info("sandbox: %s listing of %s (org %s) withdrawn", directory, e164, org_id)
