"""Every table of numberdesk. Each carries ``org_id``, and every index starts with it (Citus-ready)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    text,
)

from numberdesk.domain.inbox import ClaimAction, ItemStatus
from numberdesk.domain.numbers import Kind, Origin, Status
from numberdesk.domain.orgs import Role
from numberdesk.domain.users import Presence
from numberdesk.store.types import EnumText, Json, JsonOrNull, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

ID = 40  # length of our prefixed ids
LIVE = text("status NOT IN ('released', 'ported_out')")


def org_id() -> Column[str]:
    """The tenant column every table starts with."""
    return Column("org_id", String(ID), nullable=False)


orgs = Table(
    "orgs",
    metadata,
    Column("org_id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("default_caller_id", String(20)),
    Column("caller_id_policy", Json, nullable=False),
    Column("daily_cap", Integer),
    Column("spam_threshold", Integer, nullable=False),
    Column("spam_rest_days", Integer, nullable=False),
    Column("config_version", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", EnumText(Role), nullable=False),
    Column("extension", String(255)),
    Column("work_phone", String(20)),
    Column("caller_id", String(20)),
    Column("sender_id", String(20)),
    Column("voicemail_email", String(320)),
    Column("not_reachable_number", String(20)),
    Column("greeting_url", String(1000)),
    Column("business_hours", Json),
    Column("presence", EnumText(Presence), nullable=False),
    Column("personal_number_id", String(ID)),
    Column("company_number_id", String(ID)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["orgs.org_id"]),
    Index(
        "uq_users_org_email_live",
        "org_id",
        "email",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

api_keys = Table(
    "api_keys",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("user_id", String(ID), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id", "user_id"], ["users.org_id", "users.id"]),
    UniqueConstraint("org_id", "key_hash"),
)

numbers = Table(
    "numbers",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("e164", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("area_code", String(8)),
    Column("line_type", String(16), nullable=False),
    Column("kind", EnumText(Kind), nullable=False),
    Column("origin", EnumText(Origin), nullable=False),
    Column("status", EnumText(Status), nullable=False),
    Column("owner_type", String(16), nullable=False),
    Column("owner_id", String(ID)),
    Column("order_id", String(ID)),
    Column("address_id", String(ID)),
    Column("forward_to", String(20)),
    Column("route", JsonOrNull),  # the inbound route's JSON (I2); null = not_assigned (I1)
    Column("mandate_id", String(ID)),
    Column("status_reason", String(300)),
    Column("rested_until", UtcDateTime),
    Column("rest_reason", String(300)),
    Column("tags", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["orgs.org_id"]),
    Index(
        "uq_numbers_org_e164_live",
        "org_id",
        "e164",
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    ),
    Index("ix_numbers_org_country_area_code", "org_id", "country", "area_code"),
    Index("ix_numbers_org_status", "org_id", "status"),
    Index("ix_numbers_org_mandate", "org_id", "mandate_id"),
    Index("ix_numbers_org_address", "org_id", "address_id"),
)

number_area_codes = Table(
    "number_area_codes",
    metadata,
    org_id(),
    Column("number_id", String(ID), nullable=False),
    Column("area_code", String(8), nullable=False),
    PrimaryKeyConstraint("org_id", "number_id", "area_code"),
    ForeignKeyConstraint(["org_id", "number_id"], ["numbers.org_id", "numbers.id"]),
    Index("ix_number_area_codes_org_area_code", "org_id", "area_code"),
)

number_orders = Table(
    "number_orders",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("country", String(2), nullable=False),
    Column("area_code", String(8)),
    Column("kind", EnumText(Kind), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("sponsor_id", String(ID)),
    Column("created_by", String(ID)),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
)

groups = Table(
    "groups",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "name"),
)

group_numbers = Table(
    "group_numbers",
    metadata,
    org_id(),
    Column("group_id", String(ID), nullable=False),
    Column("number_id", String(ID), nullable=False),
    PrimaryKeyConstraint("org_id", "group_id", "number_id"),
    ForeignKeyConstraint(["org_id", "group_id"], ["groups.org_id", "groups.id"]),
    ForeignKeyConstraint(["org_id", "number_id"], ["numbers.org_id", "numbers.id"]),
    Index("ix_group_numbers_org_number", "org_id", "number_id"),
)

campaigns = Table(
    "campaigns",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("caller_id_policy", Json),
    Column("daily_cap", Integer),
    Column("sticky", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "name"),
)

campaign_numbers = Table(
    "campaign_numbers",
    metadata,
    org_id(),
    Column("campaign_id", String(ID), nullable=False),
    Column("number_id", String(ID), nullable=False),
    PrimaryKeyConstraint("org_id", "campaign_id", "number_id"),
    ForeignKeyConstraint(["org_id", "campaign_id"], ["campaigns.org_id", "campaigns.id"]),
    ForeignKeyConstraint(["org_id", "number_id"], ["numbers.org_id", "numbers.id"]),
    Index("ix_campaign_numbers_org_number", "org_id", "number_id"),
)

campaign_groups = Table(
    "campaign_groups",
    metadata,
    org_id(),
    Column("campaign_id", String(ID), nullable=False),
    Column("group_id", String(ID), nullable=False),
    PrimaryKeyConstraint("org_id", "campaign_id", "group_id"),
    ForeignKeyConstraint(["org_id", "campaign_id"], ["campaigns.org_id", "campaigns.id"]),
    ForeignKeyConstraint(["org_id", "group_id"], ["groups.org_id", "groups.id"]),
    Index("ix_campaign_groups_org_group", "org_id", "group_id"),
)

queues = Table(
    "queues",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("uri", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "name"),
)

destinations = Table(
    "destinations",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("uri", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "name"),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_user_id", String(ID)),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(ID), nullable=False),
    Column("action", String(32), nullable=False),
    Column("before", Json),
    Column("after", Json),
    # the org's config version the change moved it to (None: not a call-path change); a
    # process's index is refreshed from the entries past its own version
    Column("config_version", Integer),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_audit_entries_org_entity", "org_id", "entity", "entity_id", "id"),
    Index("ix_audit_entries_org_config_version", "org_id", "config_version"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    org_id(),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "key"),
)

# The embedded sandbox carrier's record of what it has sold: ``org_id`` is the buyer.
sandbox_sales = Table(
    "sandbox_sales",
    metadata,
    org_id(),
    Column("e164", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("area_code", String(8)),
    Column("kind", String(16), nullable=False),
    Column("sold_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "e164"),
    Index("ix_sandbox_sales_org_country_area_code", "org_id", "country", "area_code"),
)


# --- Compliance and the number lifecycle (rules N5-N11, C1-C4) ---

sponsors = Table(
    "sponsors",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("business_id", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "country", "business_id"),
)

mandates = Table(
    "mandates",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("grantor_type", String(16), nullable=False),  # org | sponsor
    Column("grantor_id", String(ID)),  # the sponsor's id; null for the org itself
    Column("purposes", Json, nullable=False),  # purchase, mask, port, register, brand
    Column("all_numbers", Boolean, nullable=False),
    Column("status", String(32), nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime),
    Column("signed_by", String(200)),
    Column("signed_at", UtcDateTime),
    Column("document_hash", String(64)),
    Column("revoked_at", UtcDateTime),
    Column("created_by", String(ID)),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_mandates_org_grantor", "org_id", "grantor_type", "grantor_id"),
)

mandate_numbers = Table(
    "mandate_numbers",
    metadata,
    org_id(),
    Column("mandate_id", String(ID), nullable=False),
    Column("e164", String(20), nullable=False),
    PrimaryKeyConstraint("org_id", "mandate_id", "e164"),
    ForeignKeyConstraint(["org_id", "mandate_id"], ["mandates.org_id", "mandates.id"]),
    Index("ix_mandate_numbers_org_e164", "org_id", "e164"),
)

addresses = Table(
    "addresses",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("street", String(300), nullable=False),
    Column("city", String(200), nullable=False),
    Column("postal_code", String(32), nullable=False),
    Column("region", String(200)),
    Column("country", String(2), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "name"),
)

# Our side of an ownership check for a masked number (N6); the carrier places the call.
number_verifications = Table(
    "number_verifications",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("number_id", String(ID), nullable=False),
    Column("carrier_call_id", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("verified_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_number_verifications_org_number", "org_id", "number_id"),
)

port_ins = Table(
    "port_ins",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("status", String(16), nullable=False),
    Column("losing_carrier", String(200), nullable=False),
    Column("account_ref", String(200), nullable=False),
    Column("mandate_id", String(ID), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("completion_date", UtcDateTime),
    Column("reason", String(500)),
    Column("created_by", String(ID)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("submitted_at", UtcDateTime),
    Column("confirmed_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_port_ins_org_status", "org_id", "status"),
)

port_in_numbers = Table(
    "port_in_numbers",
    metadata,
    org_id(),
    Column("port_in_id", String(ID), nullable=False),
    Column("e164", String(20), nullable=False),
    Column("number_id", String(ID)),
    PrimaryKeyConstraint("org_id", "port_in_id", "e164"),
    ForeignKeyConstraint(["org_id", "port_in_id"], ["port_ins.org_id", "port_ins.id"]),
    Index("ix_port_in_numbers_org_e164", "org_id", "e164"),
)

brandings = Table(
    "brandings",
    metadata,
    org_id(),
    Column("number_id", String(ID), nullable=False),
    Column("display_name", String(32), nullable=False),
    Column("location", String(100)),
    Column("logo_url", String(1000)),
    Column("call_reason", String(64)),
    Column("status", String(16), nullable=False),
    Column("reason", String(500)),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "number_id"),
)

directory_listings = Table(
    "directory_listings",
    metadata,
    org_id(),
    Column("number_id", String(ID), nullable=False),
    Column("directory", String(32), nullable=False),
    Column("company_name", String(200), nullable=False),
    Column("sponsor_id", String(ID)),
    Column("mandate_id", String(ID)),
    Column("status", String(16), nullable=False),
    Column("reason", String(500)),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "number_id"),
)

# The embedded sandbox carrier's verification calls: the code is kept where an operator reads it.
sandbox_verification_calls = Table(
    "sandbox_verification_calls",
    metadata,
    org_id(),
    Column("id", String(64), nullable=False),
    Column("e164", String(20), nullable=False),
    Column("code", String(12), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_sandbox_verification_calls_org_e164", "org_id", "e164"),
)


# --- Outbound caller ID and texts (rules O1-O7, S1-S2) ---

# Every outbound decision's attempt (O7): what callbacks and sticky caller IDs are built on.
outbound_calls = Table(
    "outbound_calls",
    metadata,
    org_id(),
    Column("id", String(64), nullable=False),  # the call id
    Column("at", UtcDateTime, nullable=False),
    Column("agent_id", String(ID), nullable=False),
    Column("campaign_id", String(ID)),
    Column("number_id", String(ID), nullable=False),
    Column("caller_id", String(20), nullable=False),
    Column("callee", String(20), nullable=False),
    Column("step", String(32), nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    # Covering: a callee's last callers (I2) and last caller ID (O5) are read from the index
    # alone, not from rows scattered over the table (bench/README.md, tenth session).
    Index(
        "ix_outbound_calls_org_callee_at",
        "org_id",
        "callee",
        "at",
        postgresql_include=["agent_id", "number_id"],
    ),
)

# Today's use of each number, for daily caps and least-used rotation (O5, O6). One row per
# number; ``day`` is the org's local date of ``calls``, so a new day starts counting at 0.
number_usage = Table(
    "number_usage",
    metadata,
    org_id(),
    Column("number_id", String(ID), nullable=False),
    Column("day", String(10), nullable=False),
    Column("calls", Integer, nullable=False),
    Column("last_used_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "number_id"),
)

spam_reports = Table(
    "spam_reports",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("number_id", String(ID), nullable=False),
    Column("reported_by", String(ID), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_spam_reports_org_number_at", "org_id", "number_id", "at"),
)

# Contacts from the CRM, upserted by its id (I9); their phones, to match callers (I4).
contacts = Table(
    "contacts",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("primary_agent_id", String(ID), nullable=False),
    Column("source", String(100)),
    Column("tags", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "external_id"),
)

contact_phones = Table(
    "contact_phones",
    metadata,
    org_id(),
    Column("contact_id", String(ID), nullable=False),
    Column("e164", String(20), nullable=False),
    PrimaryKeyConstraint("org_id", "contact_id", "e164"),
    ForeignKeyConstraint(["org_id", "contact_id"], ["contacts.org_id", "contacts.id"]),
    Index("ix_contact_phones_org_e164", "org_id", "e164"),
)

timeline_entries = Table(
    "timeline_entries",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("contact_id", String(ID), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", String(500), nullable=False),
    Column("call_id", String(64)),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_timeline_entries_org_contact_at", "org_id", "contact_id", "at"),
)

# The inbox: missed calls and texts of company numbers, and the agents they were offered to.
inbox_items = Table(
    "inbox_items",
    metadata,
    org_id(),
    Column("id", String(ID), nullable=False),
    Column("call_id", String(64), nullable=False),
    Column("number_id", String(ID), nullable=False),
    Column("caller", String(20), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("status", EnumText(ItemStatus), nullable=False),
    Column("owner_id", String(ID)),
    Column("claim_action", EnumText(ClaimAction)),
    Column("claimed_at", UtcDateTime),
    Column("contact_id", String(ID)),
    Column("source", String(100)),
    Column("tag", String(100)),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_inbox_items_org_call", "org_id", "call_id"),
)

inbox_agents = Table(
    "inbox_agents",
    metadata,
    org_id(),
    Column("item_id", String(ID), nullable=False),
    Column("agent_id", String(ID), nullable=False),
    PrimaryKeyConstraint("org_id", "item_id", "agent_id"),
    Index("ix_inbox_agents_org_agent", "org_id", "agent_id"),
)


# --- Inbound routing configuration (rules I2, I5, I10, I11) ---

# A company number's settings (I5-I11): its unknown-caller rules, source, tag and call limit,
# as the JSON ``PUT /v1/numbers/{id}/company`` takes. The route itself is ``numbers.route``.
company_numbers = Table(
    "company_numbers",
    metadata,
    org_id(),
    Column("number_id", String(ID), nullable=False),
    Column("settings", Json, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "number_id"),
    ForeignKeyConstraint(["org_id", "number_id"], ["numbers.org_id", "numbers.id"]),
)


# --- The inbound call path (rules I7, I10, I12) ---

# Every inbound decision that was not a dry run: what it decided, whom it offered the call to,
# and how the call went (the call events). ``number_id`` is null when the number is not ours.
inbound_calls = Table(
    "inbound_calls",
    metadata,
    org_id(),
    Column("id", String(64), nullable=False),  # the call id
    Column("number_id", String(ID)),
    Column("to", String(20), nullable=False),
    Column("caller", String(20)),  # null: withheld
    Column("channel", String(8), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("rule", String(100)),
    Column("known_caller", Boolean),
    Column("selected", Json, nullable=False),  # agent ids (I7)
    Column("answered_by", String(ID)),
    Column("answered_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    PrimaryKeyConstraint("org_id", "id"),
    Index("ix_inbound_calls_org_number_at", "org_id", "number_id", "at"),
)

# The calls a company number carries now (I10): one row from the decision that admits a call
# to its ``ended`` event; a row whose end never came stops counting at ``expires_at``.
inbound_active_calls = Table(
    "inbound_active_calls",
    metadata,
    org_id(),
    Column("number_id", String(ID), nullable=False),
    Column("call_id", String(64), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("org_id", "number_id", "call_id"),
)


# --- Choosing among several (rule O5) ---

# One row per caller-ID pool that has chosen: decisions over the pool queue on its row (each
# locks it, none updates it), and ``members`` fingerprints the numbers ``pool_numbers`` holds
# for it (synced when it differs).
caller_id_pools = Table(
    "caller_id_pools",
    metadata,
    org_id(),
    Column("pool", String(200), nullable=False),  # e.g. "local:US:212", "campaign:cmp_..:US"
    Column("members", String(32)),
    PrimaryKeyConstraint("org_id", "pool"),
)

# The usable numbers of each pool with a copy of their use (``number_usage``), so the number
# used least today, then least recently, is the first row of an index, however big the pool.
pool_numbers = Table(
    "pool_numbers",
    metadata,
    org_id(),
    Column("pool", String(200), nullable=False),
    Column("number_id", String(ID), nullable=False),
    Column("day", String(10), nullable=False),  # "" when never used
    Column("calls", Integer, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),  # the epoch when never used
    Column("rested_until", UtcDateTime),
    Column("mandate_ends", UtcDateTime),
    PrimaryKeyConstraint("org_id", "pool", "number_id"),
    Index("ix_pool_numbers_least_recent", "org_id", "pool", "last_used_at", "number_id"),
    Index(
        "ix_pool_numbers_least_today", "org_id", "pool", "day", "calls", "last_used_at", "number_id"
    ),
    Index("ix_pool_numbers_number", "org_id", "number_id"),
)
