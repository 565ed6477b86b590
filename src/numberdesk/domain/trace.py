"""One step a decision tried and what came of it: the trace that explains every decision
(outbound caller ID O3, text senders S2, inbound routing I1-I12), read by support and shown
by "try a call"."""

from __future__ import annotations

from typing import NamedTuple


class TraceEntry(NamedTuple):
    """One step tried: ``chosen``, ``skipped`` (with why), ``no_match`` (nothing to find),
    ``passed`` (a check let it through) or ``refused`` (the decision stops here). A named
    tuple: a decision makes several, and one is made faster than a frozen dataclass."""

    step: str
    result: str
    reason: str
