"""``numberdesk carrier ...``: play the embedded sandbox carrier's side (its commands live with
their features: masking, port_ins, branding)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The embedded sandbox carrier's side: verification calls, port-ins, port-outs, reviews.",
    no_args_is_help=True,
)
