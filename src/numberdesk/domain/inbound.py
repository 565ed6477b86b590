"""Inbound routing (rules I1-I12, N2, N11, S3): who gets a call or a text to one of our numbers.

``decide`` is a pure function over a per-call ``Snapshot`` that the service assembles from its
in-memory index (the dialled number with its route and company settings, agents, queues,
destinations) and the per-caller look-ups (who in the org last called this caller, which
contacts have this phone, how many calls the number carries now). No I/O, no queries. Its
``trace`` records every step, so support can answer "why did this call go there?".

Texts (S3) follow the same routes, but a text waits in an inbox instead of ringing: it goes
to its agents whatever their presence or hours (a blast text to every selected agent at
once), with action ``ring`` and agent targets; a call forward (N11) does not apply to texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from numberdesk.domain.company import (
    DEFAULT_MAX_CONCURRENT_CALLS,
    Rule,
    RuleAction,
    rule_in_force,
)
from numberdesk.domain.inbound_types import (
    Action,
    Agent,
    Channel,
    Contact,
    Decision,
    DialledNumber,
    InboundCall,
    Reason,
    Snapshot,
    Target,
    TargetType,
    TimelineEntry,
)
from numberdesk.domain.numbers import CAPABILITIES, Capability, Kind, Status
from numberdesk.domain.routes import Ring, Route, RouteType, Scope
from numberdesk.domain.trace import TraceEntry
from numberdesk.domain.users import Presence

__all__ = [
    "Action",
    "Agent",
    "Channel",
    "Contact",
    "Decision",
    "DialledNumber",
    "InboundCall",
    "Reason",
    "Snapshot",
    "Target",
    "TargetType",
    "TimelineEntry",
    "TraceEntry",
    "decide",
]


@dataclass
class _Walk:
    """The decision in progress: what it reads and the trace so far."""

    snap: Snapshot
    call: InboundCall
    trace: list[TraceEntry] = field(default_factory=list)

    @property
    def text(self) -> bool:
        return self.call.channel is Channel.SMS

    def note(self, step: str, result: str, reason: str) -> None:
        self.trace.append(TraceEntry(step, result, reason))

    def done(self, action: Action, targets: tuple[Target, ...], reason: Reason) -> Decision:
        return Decision(action, targets, reason, tuple(self.trace))


def decide(snapshot: Snapshot, call: InboundCall) -> Decision:
    """Decide an inbound call or text (I1-I12, N11, S3)."""
    walk = _Walk(snapshot, call)
    admitted = _admit(walk)
    if isinstance(admitted, Decision):
        return admitted
    if forwards_every_call(admitted, call.channel):
        why = f"{admitted.e164} forwards every call to {admitted.forward_to} (rule N11)"
        walk.note("forwarding", "chosen", why)
        target = Target(TargetType.NUMBER, number=admitted.forward_to)
        return walk.done(Action.FORWARD, (target,), Reason.FORWARDED)
    return _follow(walk, admitted, admitted.route)


def _admit(walk: _Walk) -> DialledNumber | Decision:
    """Ours, active, not masked, and able to receive this channel (I1, N2, N3)."""
    number = walk.snap.number
    if number is None:
        why = f"{walk.call.to} is not one of our numbers (rule I1)"
        return _refuse(walk, "number", why, Reason.NOT_OUR_NUMBER)
    refused = refusal(number, walk.call.channel)
    if refused is not None:
        return _refuse(walk, "number", *refused)
    walk.note("number", "passed", f"{number.e164} is ours and active")
    return number


def refusal(number: DialledNumber, channel: Channel) -> tuple[str, Reason] | None:
    """Why our number cannot take this call or text at all (why, reason), or None: it is not
    active (N3), it is masked (I1, N2), or it cannot receive this channel (N2)."""
    if number.status is not Status.ACTIVE:
        why = f"{number.e164} is {number.status.value}; only active numbers take calls (rule N3)"
        return why, Reason.NUMBER_INACTIVE
    if number.kind is Kind.MASKED:
        return (
            f"{number.e164} is masked: outbound caller ID only (rules I1, N2)",
            Reason.NUMBER_MASKED,
        )
    text = channel is Channel.SMS
    if (Capability.SMS_IN if text else Capability.VOICE_IN) not in CAPABILITIES[number.kind]:
        what = "texts" if text else "calls"
        why = f"{number.e164} is a {number.kind.value} number and cannot receive {what} (rule N2)"
        return why, (Reason.CANNOT_RECEIVE_TEXTS if text else Reason.CANNOT_RECEIVE_CALLS)
    return None


def forwards_every_call(number: DialledNumber, channel: Channel) -> bool:
    """A number forwarded to an external number sends every call there; texts stay (N11)."""
    return bool(number.forward_to) and channel is Channel.VOICE


def _refuse(walk: _Walk, step: str, why: str, reason: Reason, *, busy: bool = False) -> Decision:
    """Stop here: ``busy`` when someone could take it later, else ``disconnect``."""
    walk.note(step, "refused", why)
    return walk.done(Action.BUSY if busy else Action.DISCONNECT, (), reason)


def _follow(walk: _Walk, number: DialledNumber, route: Route) -> Decision:
    """Follow one route (I2); a fallback route comes through here too."""
    kind = route.type
    if kind is RouteType.NOT_ASSIGNED:
        return _refuse(walk, "route", "the number is not assigned (rule I1)", Reason.NOT_ASSIGNED)
    if kind is RouteType.AGENT:
        walk.note("route", "chosen", f"agent route to {route.agent_id} (rule I2)")
        return _to_agent(walk, str(route.agent_id), route.ring)
    if kind is RouteType.LAST_CALLER:
        return _last_caller(walk, number, route)
    if kind is RouteType.COMPANY:
        return _company(walk, number, route.ring)
    if kind is RouteType.FORWARD:
        walk.note("route", "chosen", f"forward route to {route.forward_to} (rule I2)")
        target = Target(TargetType.NUMBER, number=route.forward_to)
        return walk.done(Action.FORWARD, (target,), Reason.ROUTE_FORWARD)
    return _queue_or_custom(walk, route)


def _queue_or_custom(walk: _Walk, route: Route) -> Decision:
    """A queue (action ``queue``) or a custom destination's SIP URI (action ``ring``) (I2)."""
    if route.type is RouteType.QUEUE:
        ident, uris, what = str(route.queue_id), walk.snap.queues, "queue"
    else:
        ident, uris, what = str(route.destination_id), walk.snap.destinations, "custom destination"
    if ident not in uris:
        return _refuse(walk, "route", f"{what} {ident} no longer exists", Reason.TARGET_MISSING)
    walk.note("route", "chosen", f"{what} route to {ident} (rule I2)")
    if route.type is RouteType.QUEUE:
        target = Target(TargetType.QUEUE, queue_id=ident, uri=uris[ident])
        return walk.done(Action.QUEUE, (target,), Reason.QUEUE)
    target = Target(TargetType.CUSTOM, destination_id=ident, uri=uris[ident])
    return walk.done(Action.RING, (target,), Reason.CUSTOM_DESTINATION)


def _last_caller(walk: _Walk, number: DialledNumber, route: Route) -> Decision:
    """The agent who last called this caller, from this number or any of ours; else the
    fallback route; else disconnect (I2)."""
    snap, caller = walk.snap, walk.call.caller
    on_number = route.scope is Scope.NUMBER
    ids = snap.last_callers_on_number if on_number else snap.last_callers_on_any
    where = f"from {number.e164}" if on_number else "from any of our numbers"
    for agent_id in ids if caller else ():
        if agent_id in snap.agents:
            walk.note("last_caller", "chosen", f"{agent_id} last called {caller} {where} (rule I2)")
            return _to_agent(walk, agent_id, route.ring)
        walk.note("last_caller", "skipped", f"{agent_id} called {caller} but has left the org")
    nobody = f"nobody called {caller} {where}" if caller else "the caller's number is withheld"
    walk.note("last_caller", "no_match", nobody)
    if route.fallback is None:
        why = "the route has no fallback (rule I2)"
        return _refuse(walk, "fallback", why, Reason.NO_LAST_CALLER)
    walk.note("fallback", "chosen", f"the fallback route: {route.fallback.type.value} (rule I2)")
    return _follow(walk, number, route.fallback)


def _to_agent(walk: _Walk, agent_id: str, ring: Ring) -> Decision:
    """One agent (I3): available → ring; busy → busy; logged out → their voicemail. A text
    reaches the agent whatever their presence (S3)."""
    agent = walk.snap.agents.get(agent_id)
    if agent is None:
        why = f"agent {agent_id} is no longer in the org"
        return _refuse(walk, "agent", why, Reason.TARGET_MISSING)
    if walk.text:
        walk.note("agent", "chosen", f"the text goes to {agent_id}'s inbox (rule S3)")
        inbox = Target(TargetType.AGENT, agent_id=agent_id)
        return walk.done(Action.RING, (inbox,), Reason.TEXT_TO_AGENTS)
    if agent.presence is Presence.BUSY:
        why = f"{agent_id} is logged in but busy (rule I3)"
        return _refuse(walk, "agent", why, Reason.AGENT_BUSY, busy=True)
    if agent.presence is Presence.LOGGED_OUT:
        walk.note("agent", "skipped", f"{agent_id} is logged out (rule I3)")
        return _voicemail(walk, agent, Reason.AGENT_LOGGED_OUT)
    target = _ring_target(walk, agent, ring)
    if target is None:
        return _voicemail(walk, agent, Reason.AGENT_UNREACHABLE)
    walk.note(
        "agent", "chosen", f"{agent_id} is available: ring {target.uri or target.number} (rule I3)"
    )
    return walk.done(Action.RING, (target,), Reason.AGENT_AVAILABLE)


def _ring_target(walk: _Walk, agent: Agent, ring: Ring) -> Target | None:
    """The work phone where the route says so, else the extension, else the work phone (I3)."""
    phone = Target(TargetType.AGENT, agent_id=agent.id, number=agent.work_phone)
    if ring is Ring.WORK_PHONE and agent.work_phone:
        return phone
    if ring is Ring.WORK_PHONE:
        walk.note("agent", "skipped", f"{agent.id} has no work phone; trying the extension")
    if agent.extension:
        return Target(TargetType.AGENT, agent_id=agent.id, uri=agent.extension)
    if agent.work_phone:
        return phone
    walk.note("agent", "skipped", f"{agent.id} has neither an extension nor a work phone")
    return None


def _voicemail(walk: _Walk, agent: Agent, reason: Reason) -> Decision:
    """The agent's not-reachable destination (I3): their not-reachable number if set, else
    their voicemail box (e-mail, with their greeting); with neither, ``busy``."""
    if agent.not_reachable_number:
        number = agent.not_reachable_number
        walk.note("voicemail", "chosen", f"{agent.id}'s not-reachable number {number} (rule I3)")
        target = Target(TargetType.NUMBER, agent_id=agent.id, number=number)
        return walk.done(Action.VOICEMAIL, (target,), reason)
    if agent.voicemail_email:
        email = agent.voicemail_email
        walk.note("voicemail", "chosen", f"{agent.id}'s voicemail, sent to {email} (rule I3)")
        target = Target(
            TargetType.VOICEMAIL, agent_id=agent.id, email=email, greeting_url=agent.greeting_url
        )
        return walk.done(Action.VOICEMAIL, (target,), reason)
    why = f"{agent.id} has no not-reachable destination; set a voicemail e-mail or number"
    return _refuse(walk, "voicemail", why, Reason.AGENT_UNREACHABLE, busy=True)


def _company(walk: _Walk, number: DialledNumber, ring: Ring) -> Decision:
    """A company number (I4-I10): the call limit, then the contact owner, else the rule in force."""
    snap, settings = walk.snap, number.company
    limit = settings.max_concurrent_calls if settings else DEFAULT_MAX_CONCURRENT_CALLS
    if not walk.text and snap.active_calls >= limit:
        why = f"{snap.active_calls} calls in progress; the limit is {limit} (rule I10)"
        return _refuse(walk, "capacity", why, Reason.CAPACITY, busy=True)
    owner = _contact_owner(walk, number)
    if owner is not None:
        decision = _to_agent(walk, owner.agent_id, ring)
        return replace(decision, selected=(owner.agent_id,), known_caller=True, timeline=owner)
    if settings is None:
        why = f"no unknown-caller rules: PUT /v1/numbers/{number.id}/company (rule I5)"
        decision = _refuse(walk, "rule", why, Reason.COMPANY_NOT_CONFIGURED)
        return replace(decision, known_caller=False)
    rule = rule_in_force(settings, snap.local_time)
    when = f"{snap.local_time:%a %H:%M}".lower()
    walk.note("rule", "chosen", f"{rule.label()} is in force on {when} (rule I5)")
    decision = _by_rule(walk, rule, ring)
    return replace(decision, known_caller=False, rule=rule.name or "default")


def _by_rule(walk: _Walk, rule: Rule, ring: Ring) -> Decision:
    """Unknown caller: one user (I3), a blast (I6), or the bridge number (I5)."""
    selected = tuple(a for a in rule.selected if a in walk.snap.agents)
    if rule.action is RuleAction.USER:
        return replace(_to_agent(walk, str(rule.agent_id), ring), selected=selected)
    if rule.action is RuleAction.NUMBER:
        walk.note("rule", "chosen", f"forward to the bridge number {rule.number} (rule I5)")
        target = Target(TargetType.NUMBER, number=rule.number)
        return walk.done(Action.FORWARD, (target,), Reason.RULE_NUMBER)
    for gone in (a for a in rule.agent_ids if a not in selected):
        walk.note("blast", "skipped", f"{gone} is no longer in the org")
    if walk.text and selected:
        walk.note("blast", "chosen", f"the text goes to all {len(selected)} agents (rule S3)")
        targets = tuple(Target(TargetType.AGENT, agent_id=a) for a in selected)
        return replace(walk.done(Action.RING, targets, Reason.TEXT_TO_AGENTS), selected=selected)
    targets = tuple(t for a in selected if (t := _blast_target(walk, a, ring)) is not None)
    if targets:
        return replace(walk.done(Action.RING, targets, Reason.BLAST), selected=selected)
    why = f"none of the {len(selected)} selected agents can take it: missed for all (rule I7)"
    decision = _refuse(walk, "blast", why, Reason.NOBODY_AVAILABLE, busy=True)
    return replace(decision, selected=selected)


def _blast_target(walk: _Walk, agent_id: str, ring: Ring) -> Target | None:
    """A selected agent rings if logged in, not busy and inside business hours (I6)."""
    agent, local = walk.snap.agents[agent_id], walk.snap.local_time
    why = None
    if agent.presence is not Presence.AVAILABLE:
        why = "is logged out" if agent.presence is Presence.LOGGED_OUT else "is busy"
    elif not agent.in_hours(local):
        why = f"is outside business hours ({local:%a %H:%M})".lower()
    target = None if why else _ring_target(walk, agent, ring)
    if target is None:
        walk.note("blast", "skipped", f"{agent_id} {why or 'has nothing to ring'} (rule I6)")
        return None
    walk.note("blast", "chosen", f"{agent_id} rings at {target.uri or target.number} (rule I6)")
    return target


def _contact_owner(walk: _Walk, number: DialledNumber) -> TimelineEntry | None:
    """Known caller (I4): one primary agent → that agent, a timeline entry on every matching
    contact; different ones → the agent of the most recently created contact, a timeline
    entry on that contact only. Contacts whose primary agent is not in the org don't count."""
    contacts = walk.snap.contacts
    owned = [c for c in contacts if c.primary_agent_id in walk.snap.agents]
    if not owned:
        if contacts:
            why = f"{len(contacts)} contacts have this phone but no primary agent in the org"
            walk.note("contact_owner", "no_match", why)
        return None
    newest = max(owned, key=lambda c: (c.created_at, c.id))
    agent_id = str(newest.primary_agent_id)
    what = "text" if walk.text else "call"
    text = f"Inbound {what} from {walk.call.caller} to company number {number.e164}, sent to "
    if len({c.primary_agent_id for c in owned}) == 1:
        ids = tuple(c.id for c in contacts)
        whose = f"all {len(ids)} contacts with this phone" if len(ids) > 1 else "this contact"
        text += f"{agent_id}, primary agent of {whose}"
        why = f"{agent_id} is the one primary agent of the {len(ids)} matching contacts (rule I4)"
    else:
        ids = (newest.id,)
        text += (
            f"{agent_id}, primary agent of this contact, the newest of {len(contacts)} contacts "
            "with this phone (their primary agents differ)"
        )
        why = f"primary agents differ: {agent_id} owns the newest contact, {newest.id} (rule I4)"
    walk.note("contact_owner", "chosen", why)
    return TimelineEntry(ids, agent_id, text)
