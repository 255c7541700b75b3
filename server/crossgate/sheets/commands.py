"""``crossgate import ...``, ``crossgate template`` and ``crossgate export crosswalk``.

The main CLI mounts `import_app` as ``import`` and adds `template` and `export_crosswalk` as
commands. They work on the local data directory like the other commands (a server holding
the store leaves them read-only: dry runs, lists and exports still work).

- ``crossgate import FILE [--mode merge|replace] [--dry-run] [--json] [--who NAME]``: plan the
  file, and commit it unless --dry-run. Exit 0 done (or nothing to change), 2 the file has
  errors or exceeds a limit (each error printed as ``sheet!CELL: message (value)``), 1 the
  commit was refused (the graph changed meanwhile, SHACL).
- ``crossgate import list [--json]``, ``crossgate import revert ID [--who NAME]`` (exit 1 when
  refused).
- ``crossgate template -o FILE``: the import template.
- ``crossgate export crosswalk --source FW --target FW --format xlsx|csv|json|oscal -o FILE``.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from typer.core import TyperGroup

from crossgate.config import Settings, load_settings

if TYPE_CHECKING:
    from crossgate.runtime import Runtime
    from crossgate.sheets.export_model import CrosswalkMapping
    from crossgate.sheets.validate import Issue

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [env CROSSGATE_DATA_DIR, default ./.crossgate]",
                 show_default=False),
]
Who = Annotated[str | None, typer.Option("--who", help="Recorded as the author [default: "
                                                       "your user name]", show_default=False)]
DEFAULT_COMMAND = "file"


class _DefaultCommandGroup(TyperGroup):
    """A group whose first argument, when it is not a subcommand, goes to DEFAULT_COMMAND:
    ``crossgate import FILE`` runs ``crossgate import file FILE``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


import_app = typer.Typer(
    cls=_DefaultCommandGroup, no_args_is_help=True, add_completion=False,
    help="Import a workbook, csv or OSCAL catalog: crossgate import FILE [--dry-run]. Also "
         "list and revert imports.")


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _who(who: str | None) -> str:
    if who:
        return who
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _runtime(settings: Settings, writable: bool) -> Runtime:
    from crossgate.cli import open_runtime

    return open_runtime(settings, writable=writable)


def _record_dir(settings: Settings) -> Path:
    from crossgate.web.imports import RECORD_DIR_NAME

    return settings.data_path / RECORD_DIR_NAME


def issue_line(issue: Issue) -> str:
    """``mappings!C2: unknown relation 'subsett'; ... (subsett)``"""
    value = f" ({issue.value})" if issue.value not in (None, "") else ""
    return f"{issue.location()}: {issue.message}{value}"


@import_app.command(DEFAULT_COMMAND)
def import_file(
    file: Annotated[Path, typer.Argument(help="xlsx workbook, csv file or OSCAL catalog (JSON)",
                                         exists=True, dir_okay=False, readable=True)],
    mode: Annotated[str, typer.Option(help="merge: add and change; replace: the file is the "
                                           "whole truth for what it covers")] = "merge",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only: show errors, "
                                                            "warnings and the diff")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The plan as JSON on stdout")] = False,
    who: Who = None,
    data_dir: DataDir = None,
) -> None:
    """Plan FILE and commit it as one revision (the default: crossgate import FILE)."""
    from crossgate.sheets.commit import ImportRefused, commit_plan, plan_against_store
    from crossgate.sheets.limits import LimitExceeded, Limits

    if mode not in ("merge", "replace"):
        raise _fail(f"--mode must be merge or replace, not {mode!r}", 2)
    settings = load_settings(data_dir)
    if file.stat().st_size > settings.max_upload_bytes:
        raise _fail(f"{file} is {file.stat().st_size:,} bytes; the upload limit is "
                    f"{settings.max_upload_bytes:,} bytes", 2)
    data = file.read_bytes()
    runtime = _runtime(settings, writable=not dry_run)
    try:
        try:
            plan, base = plan_against_store(runtime.store, data, file.name, mode=mode,
                                            who=_who(who), limits=Limits.from_settings(settings))
        except LimitExceeded as exc:
            raise _fail(f"{file.name}: {exc.message}", 2) from exc
        body: dict[str, Any] = {**plan.to_json(), "summary": plan.summary_text(),
                                "dry_run": dry_run, "committed": False,
                                "base_revision": base, "revision": base}
        if not plan.ok:
            if as_json:
                typer.echo(json.dumps(body, indent=1, ensure_ascii=False))
            for issue in plan.errors:
                typer.echo(issue_line(issue), err=True)
            raise _fail(f"{file.name}: {len(plan.errors)} error(s); nothing was written", 2)
        if dry_run or plan.empty:
            typer.echo(json.dumps(body, indent=1, ensure_ascii=False) if as_json
                       else plan.summary_text())
            if dry_run and not as_json:
                typer.echo("\nDry run: nothing was written.")
            return
        try:
            done = commit_plan(runtime.store, plan, base, ontology_dir=settings.ontology_dir,
                               record_dir=_record_dir(settings))
        except ImportRefused as exc:
            for detail in exc.details:
                typer.echo(f"  {detail}", err=True)
            raise _fail(exc.message, 1) from exc
        body.update(committed=True, revision=done.revision)
        if as_json:
            typer.echo(json.dumps(body, indent=1, ensure_ascii=False))
        else:
            typer.echo(plan.summary_text())
            typer.echo(f"\nCommitted import {plan.import_id} as revision {done.revision} "
                       f"(revert with: crossgate import revert {plan.import_id}).")
    finally:
        runtime.close()


@import_app.command("list")
def import_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    data_dir: DataDir = None,
) -> None:
    """Committed imports, newest first, and the revision that reverted each."""
    from crossgate.sheets.commit import import_history

    runtime = _runtime(load_settings(data_dir), writable=False)
    try:
        records = import_history(runtime.store)
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in records], indent=1, ensure_ascii=False))
        return
    if not records:
        typer.echo("no imports yet")
    for r in records:
        state = f"reverted in revision {r.reverted_in}" if r.reverted_in else "active"
        typer.echo(f"{r.import_id}  revision {r.revision:<5} {r.created[:19]}  {r.author:<20} "
                   f"{r.mode:<7} +{r.added} ~{r.changed} -{r.removed}  {r.file_name}  {state}")


@import_app.command("revert")
def import_revert(
    import_id: Annotated[str, typer.Argument(help="Import id from `crossgate import list`")],
    who: Who = None,
    data_dir: DataDir = None,
) -> None:
    """Undo an import as a new revision.

    Refused when a later revision changed what it wrote: revert that one first."""
    from crossgate.sheets.commit import ImportRefused, revert_import

    runtime = _runtime(load_settings(data_dir), writable=True)
    try:
        revision = revert_import(runtime.store, import_id, _who(who))
    except ImportRefused as exc:
        raise _fail(exc.message, 1) from exc
    finally:
        runtime.close()
    typer.echo(f"reverted import {import_id}: revision {revision.number}")


def template(
    out: Annotated[Path, typer.Option("-o", "--out", help="xlsx file to write")],
) -> None:
    """Write the import template (README, frameworks, requirements, mappings, gate_profile)."""
    from crossgate.sheets.template import write_template

    tmp = out.with_name(out.name + ".tmp")
    write_template(str(tmp))
    os.replace(tmp, out)
    typer.echo(f"wrote {out}")


ExportFormat = Literal["xlsx", "csv", "json", "oscal"]


def export_crosswalk(
    source: Annotated[str, typer.Option(help="Source framework id (matrix rows), e.g. "
                                             "fw:crossgate-controls")],
    target: Annotated[str, typer.Option(help="Target framework id (columns), e.g. "
                                             "fw:eu-ai-act")],
    out: Annotated[Path, typer.Option("-o", "--out", help="File to write")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="xlsx, csv, json or oscal")]
    = "xlsx",
    derived: Annotated[bool, typer.Option(help="Include mappings derived through chains of "
                                               "mappings (marked derived)")] = True,
    bom: Annotated[bool, typer.Option("--bom", help="csv: start with a UTF-8 byte order mark "
                                                    "(for Excel)")] = False,
    data_dir: DataDir = None,
) -> None:
    """The crosswalk between two frameworks as xlsx, csv, json or OSCAL.

    Authored and derived mappings with their provenance, and coverage per source requirement
    (docs/export.md)."""
    from crossgate.sheets.crosswalk_view import UnknownFramework, crosswalk_view
    from crossgate.sheets.export_csvjson import write_crosswalk_csv, write_crosswalk_json
    from crossgate.sheets.export_matrix import write_crosswalk_xlsx
    from crossgate.sheets.export_oscal import (
        EmptyMappingCollection,
        write_oscal_mapping_collection,
    )

    runtime = _runtime(load_settings(data_dir), writable=False)
    tmp = out.with_name(out.name + ".tmp")
    try:
        graph = runtime.view()
        try:
            view = crosswalk_view(graph, source, target, derived=derived)
        except UnknownFramework as exc:
            raise _fail(str(exc), 2) from exc
        counts = [0, 0]  # authored, derived

        def counted(mappings: Iterable[CrosswalkMapping]) -> Iterator[CrosswalkMapping]:
            for m in mappings:
                counts[m.derived] += 1
                yield m

        view.mappings = counted(view.mappings)
        try:
            if fmt == "xlsx":
                write_crosswalk_xlsx(view, tmp)
            elif fmt == "csv":
                write_crosswalk_csv(view, tmp, bom=bom)
            elif fmt == "json":
                write_crosswalk_json(view, tmp)
            else:
                write_oscal_mapping_collection(view, tmp)
        except EmptyMappingCollection as exc:
            raise _fail(str(exc), 1) from exc
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        runtime.close()
    typer.echo(f"wrote {out}: {counts[0]} mapping(s) and {counts[1]} derived, {source} -> "
               f"{target} at revision {graph.revision}")
