"""The crosswalk between two frameworks as xlsx, csv, json or OSCAL, for graph readers.

The view is read from the head revision's in-memory model (sheets/crosswalk_view.py) and
streamed: csv, json and OSCAL from the writers' chunk generators, xlsx through a spooled
temporary file (the zip is assembled at the end). docs/export.md describes the formats.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from crossgate import filters as F
from crossgate.api.deps import READ_GRAPH, RuntimeDep, require
from crossgate.api.routes import ERRORS, media, unknown_value
from crossgate.sheets.crosswalk_view import crosswalk_view
from crossgate.sheets.export_csvjson import iter_crosswalk_csv, iter_crosswalk_json
from crossgate.sheets.export_matrix import write_crosswalk_xlsx
from crossgate.sheets.export_model import CrosswalkView
from crossgate.sheets.export_oscal import EmptyMappingCollection, iter_oscal_mapping_collection
from crossgate.tokens import TokenInfo

router = APIRouter(prefix="/v1/exports", tags=["exports"], responses=ERRORS)
# The crosswalk is graph data every graph reader may see (the dashboard links it for them);
# the evidence pack, which holds decisions, stays with auditors (routes/audit.py).
Reader = Annotated[TokenInfo, Depends(require(*READ_GRAPH))]

Format = Literal["xlsx", "csv", "json", "oscal"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "oscal": "application/json",
}
EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "json": "json", "oscal": "oscal.json"}
SPOOL_BYTES = 16 * 1024 * 1024  # xlsx kept in memory up to this size, then on disk
_BLOCK = 1 << 16
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename(source: str, target: str, fmt: str) -> str:
    """crosswalk_crossgate-controls_eu-ai-act.xlsx"""
    def part(fw: str) -> str:
        return _UNSAFE.sub("-", fw.removeprefix("fw:")).strip("-") or "framework"
    return f"crosswalk_{part(source)}_{part(target)}.{EXTENSIONS[fmt]}"


def _xlsx_chunks(view: CrosswalkView) -> tuple[Iterator[bytes], int]:
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by the generator
    try:
        write_crosswalk_xlsx(view, spool)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(_BLOCK):
                yield block

    return chunks(), size


@router.get("/crosswalk", response_class=StreamingResponse,
            responses=media(MEDIA_TYPES["xlsx"], "text/csv", "application/json",
                            description="the crosswalk in the format asked for"))
def crosswalk(
    runtime: RuntimeDep, _: Reader,
    source: Annotated[str, Query(min_length=1, description="source framework id (matrix rows)")],
    target: Annotated[str, Query(min_length=1, description="target framework id (columns)")],
    fmt: Annotated[Format, Query(alias="format")] = "xlsx",
    derived: Annotated[bool, Query(description="include mappings derived through chains")]
    = True,
    bom: Annotated[bool, Query(description="csv only: a UTF-8 byte order mark for Excel")]
    = False,
) -> StreamingResponse:
    """The crosswalk source -> target at the head revision: authored mappings with their
    provenance, derived mappings (marked, with their path) and coverage per source
    requirement. xlsx: matrix, legend, detail and coverage sheets; csv: one row per mapping;
    json: the whole view; oscal: an OSCAL 1.2 mapping-collection. An unknown framework is 422
    listing the known ones."""
    graph = runtime.view()
    try:
        for name, framework in (("source", source), ("target", target)):
            F.check_one(framework, F.FRAMEWORK, graph.model, name)
    except F.UnknownValue as exc:
        raise unknown_value(exc) from None
    view = crosswalk_view(graph, source, target, derived=derived)
    headers = {"Content-Disposition": f'attachment; filename="{filename(source, target, fmt)}"',
               "X-Crossgate-Revision": str(graph.revision)}
    body: Iterator[Any]
    if fmt == "xlsx":
        body, size = _xlsx_chunks(view)
        headers["Content-Length"] = str(size)
    elif fmt == "csv":
        body = iter_crosswalk_csv(view, bom=bom)
    elif fmt == "json":
        body = iter_crosswalk_json(view)
    else:
        chunks = iter_oscal_mapping_collection(view)
        try:
            first = next(chunks)  # raises before anything is sent when OSCAL has no map
        except EmptyMappingCollection as exc:
            raise HTTPException(404, str(exc)) from None
        body = itertools.chain((first,), chunks)
    return StreamingResponse(body, media_type=MEDIA_TYPES[fmt], headers=headers)
