"""``partnercontact audit``: verify the chain, export its head.

Each command runs inside an application context (:mod:`partnercontact.cli.appcontext`).
"""

from __future__ import annotations

from pathlib import Path

import click

from partnercontact.audit.errors import HeadFormatError
from partnercontact.audit.runs import run_verification
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.audit.verify import ChainHead, export_head
from partnercontact.cli.appcontext import with_app
from partnercontact.cli.progress import terminal_progress
from partnercontact.db import db

EXIT_BROKEN = 1


@click.group("audit")
def audit() -> None:
    """The audit log: verify its chain, export its head."""


@audit.command("verify")
@click.option(
    "--head",
    "head_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A head exported earlier by `audit head`; also detects a cut-off or rewritten tail.",
)
@click.option(
    "--record/--no-record",
    default=True,
    show_default=True,
    help="Record the run (shown to managers and administrators) and, when the log is "
    "intact, append an audit.verified event. Use --no-record on a read-only replica or role.",
)
@with_app
def verify_command(head_file: Path | None, record: bool) -> None:
    """Check every row of the audit log; exit 1 at the first altered, missing or extra row."""
    head: ChainHead | None = None
    if head_file is not None:
        try:
            head = ChainHead.from_json(head_file.read_bytes())
        except HeadFormatError as exc:
            raise click.BadParameter(str(exc), param_hint="--head") from exc

    # One code path with the worker's nightly check, so a manual run is recorded too and
    # shows on the pages. A broken log gets a row in audit_verification (outside the chain)
    # but nothing in the log itself: the evidence stays as found, and appending would reuse
    # the seqs of rows cut off the end, so that a later check against the same head would
    # report a rewritten row instead of the truncation.
    # Rows checked, rate and time left on a terminal; nothing extra in a log.
    with terminal_progress("audit verify") as progress:
        result = run_verification("command", head=head, record=record, on_progress=progress).result

    if not result.ok:
        click.echo(
            f"audit log BROKEN at row {result.first_bad_seq}: {result.reason} "
            f"({result.rows_checked} rows before it are intact)",
            err=True,
        )
        click.get_current_context().exit(EXIT_BROKEN)

    click.echo(f"audit log intact: {result.reason}")


@audit.command("head")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the head to this file instead of standard output.",
)
@click.option(
    "--record/--no-record",
    default=True,
    show_default=True,
    help="Append an audit.head_exported event first, so the head includes its own export.",
)
@with_app
def head_command(output: Path | None, record: bool) -> None:
    """Print the chain head (last seq and mac) as JSON, to be kept outside the database.

    Does not verify the log; run `audit verify` first if the head is to vouch for it.
    """
    if record:
        record_event(AuditAction.AUDIT_HEAD_EXPORTED, actor_id=None, resource_type="audit_log")
    head = export_head(db.session)
    # Commit before handing the head out: a head naming a row that then failed to commit
    # would later look like a truncated log.
    db.session.commit()
    document = head.to_json()
    if output is None:
        click.echo(document)
    else:
        output.write_text(document + "\n", encoding="ascii")
        click.echo(f"wrote the head (row {head.seq}) to {output}", err=True)
