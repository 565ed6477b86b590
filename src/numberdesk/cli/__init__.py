"""The ``numberdesk`` command: serve, migrate, create organisations, and work with numbers."""

from __future__ import annotations

import copy
import json
import os
from typing import Annotated, Any

import typer

from numberdesk.cli import (
    addresses,
    branding,
    carrier,
    decide,
    inbox,
    mandates,
    masking,
    numbers,
    port_ins,
)
from numberdesk.cli import resting as resting  # joins `numbers`: rest, wake, report-spam
from numberdesk.cli.support import console, fail, open_desk
from numberdesk.config import Settings
from numberdesk.domain.errors import Problem

app = typer.Typer(
    help="numberdesk: the phone-number desk of a contact centre. Settings come from NUMBERDESK_* variables.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(
    help="The database: migrate it to this version's schema.", no_args_is_help=True
)
org_app = typer.Typer(
    help="Organisations (the platform operator's commands).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(numbers.app, name="numbers")
app.add_typer(mandates.app, name="mandates")
app.add_typer(addresses.app, name="addresses")
app.add_typer(port_ins.app, name="port-ins")
app.add_typer(branding.app, name="branding")
# `numbers mask|verify` live in cli/masking.py and join the numbers group:
numbers.app.registered_commands += masking.app.registered_commands
app.add_typer(carrier.app, name="carrier")
app.add_typer(decide.app, name="decide")
app.add_typer(inbox.app, name="inbox")
app.command("demo")(numbers.demo)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (NUMBERDESK_DATABASE_URL) to the newest schema."""
    from numberdesk.store.migrate import head_revision, upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    console.print(f"Database is at schema revision [bold]{head_revision()}[/bold].")


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Option(help="The organisation's name.")],
    country: Annotated[
        str, typer.Option(help="ISO country code; national numbers are read with it.")
    ],
    timezone: Annotated[str, typer.Option(help="IANA time zone for time-based rules.")] = "UTC",
) -> None:
    """Create an organisation with an owner; prints {org_id, owner_user_id, api_key} as JSON."""
    from numberdesk.services.orgs import create_org

    with open_desk() as desk:
        try:
            made = create_org(desk, name=name, country=country, timezone=timezone)
        except Problem as problem:
            raise fail(problem) from None
    typer.echo(
        json.dumps(
            {"org_id": made.org.org_id, "owner_user_id": made.owner.id, "api_key": made.api_key}
        )
    )


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (NUMBERDESK_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (NUMBERDESK_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (NUMBERDESK_WORKERS).")
    ] = None,
) -> None:
    """Serve the API (and /docs) on the configured database; refuses an out-of-date schema.
    With several workers, each takes calls only once its call-path indexes are warm, and a
    SIGHUP replaces them one at a time, each old one serving until its replacement is warm."""
    import uvicorn

    settings = Settings.from_env()
    with open_desk():
        pass  # fail fast, with the reason (e.g. an old schema), before starting workers
    workers = workers or settings.workers
    os.environ.setdefault("NUMBERDESK_DATABASE_URL", settings.database_url)
    os.environ["NUMBERDESK_WORKERS"] = str(workers)  # each worker knows it shares its port
    uvicorn.run(
        "numberdesk.bootstrap:build_app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        timeout_worker_healthcheck=settings.worker_warmup_seconds,
        log_level=settings.log_level,
        log_config=_log_config(settings.log_level),
    )


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, with numberdesk's own messages (such as the call-path warm-up's
    end) written the same way at the same level."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["numberdesk"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def main() -> None:
    """Entry point of the ``numberdesk`` command."""
    app()
