"""Command line: serve, coverage, sparql, token (and the gate, import, export, ledger verbs).

Every command that touches local state takes --data-dir (default ./.crossgate or
CROSSGATE_DATA_DIR). Commands that only read open the graph store read-only when a server holds it.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from crossgate.config import Settings, load_settings
from crossgate.graph.store import StoreBusy
from crossgate.ledger import commands as ledger_commands
from crossgate.sheets import commands as sheet_commands

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="crossgate: compliance crosswalk server with Rego deployment gates.")
token_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API tokens.")
app.add_typer(token_app, name="token")
gate_app = typer.Typer(no_args_is_help=True, help="Deployment gate decisions for CI.")
app.add_typer(gate_app, name="gate")
app.add_typer(ledger_commands.app, name="ledger", help="Verify and export the decision ledger.")
export_app = typer.Typer(no_args_is_help=True, help="Crosswalk matrices and evidence packs.")
app.add_typer(export_app, name="export")
app.add_typer(sheet_commands.import_app, name="import")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [env CROSSGATE_DATA_DIR, default ./.crossgate]",
                 show_default=False),
]


def _err(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def open_runtime(settings: Settings, writable: bool = False):
    """A runtime over the local store: read-write (loading shipped content) when free,
    read-only when a server holds it and the command only reads."""
    from crossgate.runtime import Runtime

    progress = lambda msg: typer.echo(msg, err=True)  # noqa: E731
    try:
        return Runtime(settings, progress=progress)
    except StoreBusy as exc:
        if writable:
            raise _err(f"{exc}") from exc
        return Runtime(settings, read_only=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data_dir: DataDir = None,
    workers_threads: Annotated[int, typer.Option("--threads", help="Worker threads")] = 8,
) -> None:
    """Run the server with the shipped content on the embedded stores."""
    import os

    import anyio.to_thread
    import uvicorn

    from crossgate.api.app import create_app
    from crossgate.tokens import TokenStore

    # Everything the server writes (store, ledger, tokens, bundles) is for its own user only.
    os.umask(0o077)
    settings = load_settings(data_dir)
    tokens = TokenStore(settings.tokens_path)
    if tokens.is_empty():
        admin = tokens.create("admin", "initial admin")
        typer.echo("No tokens yet: created an admin token. It is shown only this once:", err=True)
        typer.echo(f"  {admin}", err=True)
        typer.echo("Create more with: crossgate token create --role ROLE --name NAME", err=True)
    tokens.close()
    typer.echo(f"crossgate: data directory {settings.data_path}", err=True)
    application = create_app(settings)

    @application.on_event("startup")
    async def _threads() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers_threads

    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command()
def coverage(
    framework: Annotated[list[str] | None, typer.Option(help="Framework id, e.g. fw:eu-ai-act")] = None,
    jurisdiction: Annotated[list[str] | None, typer.Option(help="e.g. EU, US-CO, US-NYC")] = None,
    role: Annotated[list[str] | None, typer.Option(help="provider, deployer, developer ...")] = None,
    risk_class: Annotated[str | None, typer.Option(help="EU AI Act class, e.g. high-risk")] = None,
    use_case: Annotated[list[str] | None, typer.Option(help="e.g. employment, lending")] = None,
    tier: Annotated[str | None, typer.Option(help="LOW, MEDIUM, HIGH or CRITICAL")] = None,
    as_of: Annotated[str | None, typer.Option(help="Evaluate as of YYYY-MM-DD (default today)")] = None,
    by: Annotated[str, typer.Option(help="controls (the library) or evidence (all types)")] = "controls",
    gaps: Annotated[bool, typer.Option("--gaps", help="Only unsatisfied and partial")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    data_dir: DataDir = None,
) -> None:
    """Which applicable requirements are satisfied, partial or unsatisfied, and by which path.
    A filter value the graph does not know exits 2, listing the allowed ones."""
    from crossgate import filters as F
    from crossgate.graph.coverage import compute, sources_for

    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError as exc:
        raise _err(f"--as-of must be a date YYYY-MM-DD, not {as_of!r}") from exc
    if by not in ("controls", "evidence"):
        raise _err(f"by: unknown sources {by!r}; allowed: controls, evidence")
    runtime = open_runtime(load_settings(data_dir))
    view = runtime.view()
    model = view.model
    try:
        frameworks = F.check(framework or [], F.FRAMEWORK, model, "framework")
        system = F.profile(model, jurisdiction=jurisdiction, role=role, risk_class=risk_class,
                           use_case=use_case, tier=tier)
    except F.UnknownValue as exc:
        raise _err(str(exc)) from None
    sources = sources_for(model, by)
    report = compute(model, view.crosswalk, sources, system, day,
                     frameworks=set(frameworks) or None)
    rows = [r for r in report.requirements
            if not gaps or r.status in ("unsatisfied", "partial")]
    if as_json:
        out = report.as_dict()
        out["requirements"] = [r.as_dict() for r in rows]
        typer.echo(json.dumps(out, indent=2))
        return
    typer.echo(f"coverage as of {report.as_of}, graph revision {report.revision}, by {by}\n")
    for r in rows:
        if r.status == "not_applicable":
            continue
        when = f" (upcoming {r.applies_from})" if r.legal_state == "upcoming" else ""
        typer.echo(f"{r.status:<12} {r.id:<24} {r.title[:60]}{when}")
        if r.path:
            typer.echo(f"{'':<12}   via {' -> '.join(r.path)}")
    typer.echo("")
    typer.echo(f"{'framework':<28}{'applicable':>11}{'satisfied':>10}{'partial':>9}"
               f"{'unsatisfied':>12}{'upcoming':>9}")
    for fw, s in report.summary().items():
        typer.echo(f"{fw:<28}{s['applicable']:>11}{s['satisfied']:>10}{s['partial']:>9}"
                   f"{s['unsatisfied']:>12}{s['upcoming']:>9}")


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="A Turtle file of requirements, mappings ...",
                                         exists=True, dir_okay=False)],
    graph: Annotated[str | None, typer.Option(help="Named graph to replace (default: from the "
                                              "file name)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Validate a Turtle file against the shapes and load it as one named graph (a new revision).
    A file with any SHACL violation is refused whole; the graph stays at its revision."""
    from crossgate.graph import vocab as V
    from crossgate.graph.loader import load_file
    from crossgate.graph.validate import ValidationFailed

    settings = load_settings(data_dir)
    runtime = open_runtime(settings, writable=True)
    target = graph if graph and ":" in graph else f"{V.GRAPH_BASE}file/{graph or path.stem}"
    try:
        revision = load_file(runtime.store, path, target, settings.ontology_dir, "cli")
    except ValidationFailed as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    except ValueError as exc:
        raise _err(str(exc), 1) from exc
    finally:
        runtime.close()
    typer.echo(f"loaded {path.name} into <{target}>: revision {revision.number}")


@app.command()
def sparql(
    query: Annotated[str, typer.Argument(help="A SPARQL query (or - to read it from stdin)")],
    fmt: Annotated[str, typer.Option("--format", help="json, xml, csv, tsv, turtle")] = "csv",
    data_dir: DataDir = None,
) -> None:
    """Run a read-only SPARQL query against the local graph."""
    from crossgate.graph.sparql import SparqlError, run_query

    media = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
             "csv": "text/csv", "tsv": "text/tab-separated-values",
             "turtle": "text/turtle"}.get(fmt)
    if media is None:
        raise _err(f"unknown --format {fmt!r}")
    text = sys.stdin.read() if query == "-" else query
    settings = load_settings(data_dir)
    runtime = open_runtime(settings)
    try:
        # As in the server: a worker evaluates the query, so the time and memory limits hold.
        raw = run_query(runtime.store, text, media, settings.sparql_timeout_s,
                        settings.sparql_max_rows,
                        allowed_services=settings.sparql_service_allowlist,
                        pool=runtime.query_pool)
    except SparqlError as exc:
        raise _err(exc.message) from exc
    finally:
        runtime.close()
    sys.stdout.buffer.write(raw.body)


@gate_app.command("check")
def gate_check(
    candidate: Annotated[Path, typer.Argument(help="Candidate release JSON (- for stdin)",
                                              allow_dash=True)],
    server: Annotated[str | None, typer.Option(envvar="CROSSGATE_URL",
                                               help="crossgate server URL")] = None,
    token: Annotated[str | None, typer.Option(envvar="CROSSGATE_TOKEN",
                                              help="Bearer token (role ci)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Do not record")] = False,
    formats: Annotated[list[str] | None, typer.Option(
        "--format", help="text, json, junit, sarif or github; repeat for several reports")] = None,
    outputs: Annotated[list[str] | None, typer.Option(
        "--output", help="File for the --format at the same position (- for stdout)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json")] = False,
    all_warnings: Annotated[bool, typer.Option("--warnings", help="List every warning")] = False,
    fail_on: Annotated[str, typer.Option(help="Exit 1 on: violations (a deny) or warnings too")]
    = "violations",
    retries: Annotated[int, typer.Option(min=0, max=20, help="Tries after the first when the "
                                         "server cannot be reached")] = 3,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for each answer")] = 30.0,
    data_dir: DataDir = None,
) -> None:
    """Decide a release: exit 0 allow, 1 deny, 2 bad input, 3 the server could not be reached.
    Without --server (or CROSSGATE_URL) it decides locally against the data directory."""
    from crossgate.client import GateRefused, GateUnreachable, decide_remote
    from crossgate.reports import Report
    from crossgate.reports.emit import FAIL_ON, exit_code, pairs_from_argv, targets, use_colour, write

    if fail_on not in FAIL_ON:
        raise _err(f"--fail-on must be one of: {', '.join(FAIL_ON)}")
    try:
        pairs = pairs_from_argv(sys.argv[1:])
        if [f for f, _ in pairs] != (formats or []) or len(outputs or []) != sum(
                1 for _, o in pairs if o is not None):
            # Not called from a command line (a test runner, a wrapper): pair by position.
            given = list(outputs or [])
            pairs = [(f, given[i] if i < len(given) else None) for i, f in enumerate(formats or [])]
        where = targets(pairs + ([("json", None)] if as_json else []))
    except ValueError as exc:
        raise _err(str(exc)) from exc
    try:
        text = sys.stdin.read() if str(candidate) == "-" else candidate.read_text()
        body = json.loads(text)
    except (OSError, ValueError) as exc:
        raise _err(f"cannot read candidate {candidate}: {exc}") from exc
    if server:
        if not token:
            raise _err("a token is needed with --server (--token or CROSSGATE_TOKEN)")
        try:
            output = decide_remote(server, token, body, dry_run=dry_run, retries=retries,
                                   timeout_s=timeout)
        except GateRefused as exc:
            for e in exc.errors:
                typer.echo(f"invalid input at {e.get('path')}: {e.get('message')}", err=True)
            raise _err(f"the server refused the request ({exc.status}): {exc}") from exc
        except GateUnreachable as exc:
            raise _err(f"{exc}; the release is not allowed", code=3) from exc
    else:
        output = _decide_local(body, data_dir, dry_run)
    report = Report(output, body if isinstance(body, dict) else {},
                    None if str(candidate) == "-" else str(candidate), text)
    write(report, where, sys.stdout, colour=use_colour(sys.stdout), all_warnings=all_warnings)
    raise typer.Exit(exit_code(output, fail_on))


def _decide_local(body: object, data_dir: Path | None, dry_run: bool) -> dict:
    import getpass

    from pydantic import ValidationError

    from crossgate.gate.decide import WhatIfNotRecordable, check_recordable, decide
    from crossgate.gate.input import GateInput

    try:
        candidate = GateInput.model_validate(body)
    except ValidationError as exc:
        for e in exc.errors():
            path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"])
            typer.echo(f"invalid input at {path}: {e['msg']}", err=True)
        raise typer.Exit(2) from exc
    try:
        check_recordable(candidate, not dry_run)
    except WhatIfNotRecordable as error:
        typer.echo(f"invalid input at {error.path}: {error}", err=True)
        raise typer.Exit(2) from error
    runtime = open_runtime(load_settings(data_dir))
    try:
        # No token locally: the record names the operating-system user who ran the command.
        return decide(candidate, runtime.policies, runtime.policy(),
                      None if dry_run else runtime.ledger, runtime.history,
                      requested_by={"name": getpass.getuser(), "role": "local"})
    finally:
        runtime.close()


@export_app.command("evidence-pack")
def export_evidence_pack(
    system: Annotated[str, typer.Option(help="System id as sent to the gate")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Zip file to write")],
    since: Annotated[str | None, typer.Option("--from", help="From (RFC 3339 or date)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Until, exclusive")] = None,
    data_dir: DataDir = None,
) -> None:
    """Decisions, evidence index, approvals, policy bundles and ledger verification in one zip."""
    from datetime import datetime

    from crossgate.audit.evidence_pack import write_evidence_pack
    from crossgate.ledger import open_ledger

    try:
        start = datetime.fromisoformat(since) if since else None
        end = datetime.fromisoformat(until) if until else None
    except ValueError as exc:
        raise _err(f"--from/--to must be dates or RFC 3339 times: {exc}") from exc
    settings = load_settings(data_dir)
    ledger = open_ledger(settings.ledger_url, settings.data_path, create=False)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        manifest = write_evidence_pack(fh, ledger, settings.bundles_path, system, start, end)
    tmp.replace(out)
    typer.echo(f"wrote {out}: {manifest['decisions']} decision(s), {manifest['evidence']} "
               f"evidence item(s), {manifest['bundles']} bundle(s)")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="analyst, legal, ci, auditor or admin")],
    name: Annotated[str, typer.Option(help="Who or what uses the token")],
    data_dir: DataDir = None,
) -> None:
    """Create a token; prints only the token on stdout (store it: it is not shown again)."""
    from crossgate.tokens import TokenError, TokenStore

    store = TokenStore(load_settings(data_dir).tokens_path)
    try:
        typer.echo(store.create(role, name))
    except TokenError as exc:
        raise _err(str(exc)) from exc


@token_app.command("list")
def token_list(data_dir: DataDir = None) -> None:
    """List tokens (never their secrets)."""
    from crossgate.tokens import TokenStore

    for t in TokenStore(load_settings(data_dir).tokens_path).list():
        state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
        typer.echo(f"{t.id:>4}  {t.role:<8} {t.name:<30} created {t.created_at}  {state}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="Id from `token list`")],
                 data_dir: DataDir = None) -> None:
    """Revoke a token by id."""
    from crossgate.tokens import TokenError, TokenStore

    try:
        t = TokenStore(load_settings(data_dir).tokens_path).revoke(token_id)
    except TokenError as exc:
        raise _err(str(exc)) from exc
    typer.echo(f"revoked token {t.id} ({t.role}, {t.name})")


app.command("template")(sheet_commands.template)
export_app.command("crosswalk")(sheet_commands.export_crosswalk)

if __name__ == "__main__":
    app()
