"""``crossgate ledger ...``: verify, export and show the head of the decision ledger.

The main CLI mounts this as ``app.add_typer(ledger_app, name="ledger")``. Exit codes: 0 ok,
1 the chain is broken, 2 the ledger could not be read (missing, unreachable, bad option).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from . import LedgerError, LedgerNotFoundError, open_ledger
from .base import Ledger
from .verify import parse_anchor, verify_export

app = typer.Typer(
    name="ledger",
    help="Inspect the append-only decision ledger: verify the hash chain, export it.",
    no_args_is_help=True,
    add_completion=False,
)

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="CROSSGATE_DATA_DIR",
        help="Data directory holding ledger.sqlite (when no ledger URL is set).",
    ),
]
LedgerUrl = Annotated[
    str | None,
    typer.Option(
        "--ledger-url",
        envvar="CROSSGATE_LEDGER_URL",
        help="PostgreSQL URL of the ledger (default: SQLite in the data directory).",
        show_default=False,
    ),
]
DEFAULT_DATA_DIR = Path(".crossgate")


def _open(url: str | None, data_dir: Path) -> Ledger:
    try:
        return open_ledger(url or None, data_dir.expanduser(), create=False)
    except LedgerNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except LedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def verify(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    ledger_url: LedgerUrl = None,
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="SEQ:HASH published earlier (see `ledger head`): also detects truncation.",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Verify an exported JSONL file instead of the database."),
    ] = None,
) -> None:
    """Walk the hash chain; exit 1 naming the first bad record if anything was changed."""
    try:
        anchored = parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if file is not None:
        try:
            result = verify_export(file, anchored)
        except OSError as exc:
            typer.echo(f"error: cannot read {file}: {exc}", err=True)
            raise typer.Exit(2) from exc
    else:
        ledger = _open(ledger_url, data_dir)
        try:
            result = ledger.verify(anchored)
        except LedgerError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        finally:
            ledger.close()
    if result.ok:
        typer.echo(f"ledger ok: {result.count} records")
        return
    typer.echo(f"ledger BROKEN at seq {result.first_bad_seq}: {result.reason}")
    raise typer.Exit(1)


@app.command()
def export(
    out: Annotated[
        Path, typer.Option("--out", help="JSONL file to write, one record per line ('-': stdout).")
    ],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    ledger_url: LedgerUrl = None,
) -> None:
    """Write every record, in seq order, as canonical JSON lines (verifiable with --file)."""
    ledger = _open(ledger_url, data_dir)
    count = 0
    last: tuple[int, str] | None = None
    try:
        if str(out) == "-":
            for record in ledger.iter_all():
                sys.stdout.write(record.to_json() + "\n")
                count += 1
                last = (record.seq, record.hash)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            # Write next to the target and rename: a reader never sees half an export.
            fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                    for record in ledger.iter_all():
                        handle.write(record.to_json() + "\n")
                        count += 1
                        last = (record.seq, record.hash)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, out)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except LedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        ledger.close()
    where = "stdout" if str(out) == "-" else str(out)
    head = f"; head {last[0]}:{last[1]}" if last else ""
    typer.echo(f"exported {count} records to {where}{head}", err=True)


@app.command()
def head(data_dir: DataDir = DEFAULT_DATA_DIR, ledger_url: LedgerUrl = None) -> None:
    """Print SEQ:HASH of the newest record, to keep elsewhere as an anchor for --anchor."""
    ledger = _open(ledger_url, data_dir)
    try:
        current = ledger.head()
    finally:
        ledger.close()
    if current is None:
        typer.echo("ledger is empty", err=True)
        return
    typer.echo(f"{current.seq}:{current.hash}")
