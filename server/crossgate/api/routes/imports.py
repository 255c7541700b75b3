"""Spreadsheet imports: plan (dry run), commit, history, revert; and the template download.

POST /v1/imports reads the multipart upload itself, chunk by chunk, so that a file over the
upload limit is refused (413) once the limit is passed, without the rest being read or spooled.
Planning and committing run in the threadpool. docs/import.md describes the plan JSON.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.multipart import FormParserError, MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from crossgate.api.deps import AUDIT, IMPORT, READ_GRAPH, RuntimeDep, require
from crossgate.api.errors import error_response
from crossgate.api.routes import ERRORS, attachment, media
from crossgate.runtime import Runtime
from crossgate.sheets.commit import (
    ImportRefused,
    commit_plan,
    import_history,
    plan_against_store,
    revert_import,
)
from crossgate.sheets.limits import LimitExceeded, Limits
from crossgate.sheets.plan import ImportPlan
from crossgate.sheets.template import write_template
from crossgate.tokens import TokenInfo
from crossgate.web.imports import RECORD_DIR_NAME

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter(prefix="/v1", tags=["imports"], responses=ERRORS)
Importer = Annotated[TokenInfo, Depends(require(*IMPORT))]
HistoryReader = Annotated[TokenInfo, Depends(require(*IMPORT, *AUDIT))]
TemplateReader = Annotated[TokenInfo, Depends(require(*READ_GRAPH))]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELD = "file"
# Multipart framing (boundaries, part headers, other small fields) allowed on top of the file.
FRAMING_BYTES = 64 * 1024
_IMPORT_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,80}$")

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [FIELD],
            "properties": {FIELD: {"type": "string", "format": "binary",
                                   "description": "xlsx workbook, csv file or OSCAL catalog "
                                                  "(JSON)"}},
        }}},
    },
}


class Issue(BaseModel):
    """An error or warning located as Excel shows it; path is sheet!cell where there is one."""

    path: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str


class ImportFile(BaseModel):
    name: str
    sha256: str


class Plan(BaseModel):
    """What an import would change (docs/import.md): located errors and warnings, the diff."""

    import_id: str
    mode: Literal["merge", "replace"]
    format: str
    ok: bool
    errors: list[Issue]
    warnings: list[Issue]
    diff: dict[str, list[dict[str, Any]]] = Field(description="added, changed, removed")
    counts: dict[str, int]
    file: ImportFile
    summary: str


class ImportAnswer(Plan):
    dry_run: bool
    committed: bool
    base_revision: int
    revision: int
    rewritten_graphs: list[str] | None = None
    shacl_checked: bool | None = None


class ImportRecordOut(BaseModel):
    import_id: str
    revision: int
    created: str
    author: str
    mode: str
    file: str
    added: int
    changed: int
    removed: int
    reverted_in: int | None


class ImportList(BaseModel):
    revision: int
    imports: list[ImportRecordOut]


class NoHistory(BaseModel):
    """No history entry (a recorded plan whose revision is gone)."""

    model_config = ConfigDict(extra="forbid")


class ImportDetail(BaseModel):
    """The recorded plan's fields (absent when no plan was recorded) and the history entry."""

    model_config = ConfigDict(extra="allow")
    history: ImportRecordOut | NoHistory
    recorded: bool
    reverted_in: int | None


class Reverted(BaseModel):
    import_id: str
    reverted: bool
    revision: int


def record_dir(runtime: Runtime) -> Path:
    """Where committed plans are kept (<import id>.json), as the dashboard reads them."""
    return runtime.settings.data_path / RECORD_DIR_NAME


# ---------------------------------------------------------------------------------------------
# Reading the upload


class _Upload:
    """Collects the first file part named FIELD of a multipart body, refusing it past `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.filename: str | None = None
        self.data = bytearray()
        self.found = False
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._collecting = False

    def callbacks(self) -> MultipartCallbacks:
        return {"on_part_begin": self._begin, "on_header_field": self._field,
                "on_header_value": self._value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._data,
                "on_part_end": self._end}

    def _begin(self) -> None:
        self._disposition = b""
        self._collecting = False

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._disposition)
        if options.get(b"name") == FIELD.encode() and not self.found:
            self.found = self._collecting = True
            raw = options.get(b"filename") or b""
            self.filename = Path(raw.decode("utf-8", "replace").replace("\\", "/")).name

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._collecting:
            self.data += data[start:end]
            if len(self.data) > self.limit:
                raise LimitExceeded(413, f"the file is larger than the upload limit of "
                                         f"{self.limit:,} bytes")

    def _end(self) -> None:
        self._collecting = False


async def read_upload(request: Request, limit: int) -> tuple[str, bytes]:
    """(file name, bytes) of the multipart field `file`; LimitExceeded(413) past `limit`."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(415, f"send the file as multipart/form-data in the field {FIELD!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FRAMING_BYTES:
        raise LimitExceeded(413, f"the upload is {int(declared):,} bytes; the limit is "
                                 f"{limit:,} bytes")
    upload = _Upload(limit)
    try:
        parser = MultipartParser(boundary, upload.callbacks())
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit + FRAMING_BYTES:
                raise LimitExceeded(413, f"the upload is larger than the limit of {limit:,} "
                                         "bytes")
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise HTTPException(400, f"malformed multipart body: {exc}") from None
    if not upload.found:
        raise HTTPException(422, f"no file in the multipart field {FIELD!r}")
    return upload.filename or "upload", bytes(upload.data)


# ---------------------------------------------------------------------------------------------
# Import


def _body(plan: ImportPlan, **extra: Any) -> dict[str, Any]:
    return {**plan.to_json(), "summary": plan.summary_text(), **extra}


def _refused(exc: ImportRefused) -> JSONResponse:
    return error_response(exc.status, exc.message, extra={"details": exc.details})


def _plan_and_commit(runtime: Runtime, data: bytes, filename: str, mode: str, dry_run: bool,
                     who: str) -> JSONResponse:
    settings = runtime.settings
    try:
        plan, base = plan_against_store(runtime.store, data, filename, mode=mode, who=who,
                                        limits=Limits.from_settings(settings))
    except LimitExceeded as exc:
        return error_response(exc.status, exc.message)
    if not plan.ok:
        report = _body(plan, dry_run=dry_run, committed=False, base_revision=base, revision=base)
        return JSONResponse({**report, "code": "invalid_input", "message": plan.summary_text()},
                            status_code=422)
    if dry_run or plan.empty:
        return JSONResponse(_body(plan, dry_run=dry_run, committed=False, base_revision=base,
                                  revision=base))
    try:
        done = commit_plan(runtime.store, plan, base, ontology_dir=settings.ontology_dir,
                           record_dir=record_dir(runtime))
    except ImportRefused as exc:
        return _refused(exc)
    return JSONResponse(
        _body(plan, dry_run=False, committed=True, base_revision=base, revision=done.revision,
              rewritten_graphs=list(done.rewritten_graphs), shacl_checked=done.shacl_checked),
        status_code=201, headers={"Location": f"/v1/imports/{plan.import_id}"})


@router.post("/imports", status_code=201, openapi_extra=_UPLOAD_BODY,
             response_model=ImportAnswer,
             responses={200: {"model": ImportAnswer,
                              "description": "a dry run, or a file that changes nothing"}})
async def upload_import(
    request: Request, runtime: RuntimeDep, token: Importer,
    mode: Literal["merge", "replace"] = "merge",
    dry_run: Annotated[bool, Query(description="plan only: errors, warnings and the diff")]
    = False,
) -> Response:
    """Plan a workbook (xlsx), csv or OSCAL catalog against the graph and commit it as one
    revision. 422 with the located errors when it has any (nothing is written); 200 with the
    plan on a dry run or when the file changes nothing; 201 with the new revision on commit."""
    try:
        filename, data = await read_upload(request, runtime.settings.max_upload_bytes)
    except LimitExceeded as exc:
        return error_response(exc.status, exc.message, headers={"Connection": "close"})
    return await run_in_threadpool(_plan_and_commit, runtime, data, filename, mode, dry_run,
                                   token.name)


@router.get("/imports", response_model=ImportList)
def list_imports(runtime: RuntimeDep, _: HistoryReader) -> dict[str, Any]:
    """Committed imports, newest first, each with the revision that reverted it (if any)."""
    return {"revision": runtime.store.head().number,
            "imports": [record.to_json() for record in import_history(runtime.store)]}


@router.get("/imports/{import_id}", response_model=ImportDetail)
def get_import(import_id: str, runtime: RuntimeDep, _: HistoryReader) -> dict[str, Any]:
    """The plan recorded when the import was committed (errors, warnings, diff, counts), with
    its history entry (author, revision, reverted_in)."""
    if not _IMPORT_ID.match(import_id):
        raise HTTPException(404, f"no import {import_id!r}")
    record = next((r for r in import_history(runtime.store) if r.import_id == import_id), None)
    path = record_dir(runtime) / f"{import_id}.json"
    plan: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    if record is None and not plan:
        raise HTTPException(404, f"no import {import_id!r}")
    history = record.to_json() if record is not None else {}
    return {**plan, "history": history, "recorded": bool(plan),
            "reverted_in": history.get("reverted_in")}


@router.post("/imports/{import_id}/revert", response_model=Reverted)
def revert(import_id: str, runtime: RuntimeDep, token: Importer) -> Response:
    """Undo an import as a new revision (409 when a later revision changed what it wrote)."""
    try:
        revision = revert_import(runtime.store, import_id, token.name)
    except ImportRefused as exc:
        return _refused(exc)
    return JSONResponse({"import_id": import_id, "reverted": True,
                         "revision": revision.number})


# ---------------------------------------------------------------------------------------------
# Template


@router.get("/templates/crosswalk.xlsx", response_class=Response,
            responses=media(XLSX, description="the import template"))
def template(_: TemplateReader) -> Response:
    """The import template: a README sheet and the frameworks, requirements, mappings and
    gate_profile sheets, with drop-down lists."""
    buffer = io.BytesIO()
    write_template(buffer)
    return Response(buffer.getvalue(), media_type=XLSX, headers={
        "Content-Disposition": attachment("crossgate-import-template.xlsx")})
