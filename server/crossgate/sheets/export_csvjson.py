"""Crosswalk as csv (one row per mapping) and as a json document, both streamed.

`iter_*` functions yield text chunks (for a streaming HTTP response); `write_*` functions
send the same chunks to a path or a stream. Neither holds more than one batch of rows.

csv: the columns of the xlsx detail sheet (`DETAIL_COLUMNS`), UTF-8, comma separated,
RFC 4180 quoting, text cells neutralised like the workbook's (a csv opened in a spreadsheet is
the classic formula-injection route). json: raw values, no neutralisation (json is not read by
spreadsheets).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from crossgate.sheets.export_model import (
    DETAIL_COLUMNS,
    CoverageTally,
    CrosswalkMapping,
    CrosswalkView,
    PathOrStream,
    check_strength,
    coverage_rows,
    detail_values,
    iso,
    neutralise,
    relation,
    write_chunks,
)

BATCH = 1000  # rows per yielded chunk
JSON_FORMAT = "crossgate-crosswalk/1"


def iter_crosswalk_csv(view: CrosswalkView, *, bom: bool = False) -> Iterator[str]:
    """CSV text chunks: a header row, then one row per mapping.

    `bom=True` starts the text with a UTF-8 byte order mark, which makes Excel read non-ASCII
    titles correctly when the file is opened by double click.
    """
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    if bom:
        buf.write("\ufeff")
    out.writerow(DETAIL_COLUMNS)
    for n, m in enumerate(view.mappings, start=1):
        relation(m.relation)
        check_strength(m)
        out.writerow(["" if v is None else v if isinstance(v, int) else neutralise(v)
                      for v in detail_values(m)])
        if n % BATCH == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_crosswalk_csv(view: CrosswalkView, stream_or_path: PathOrStream, *,
                        bom: bool = False) -> None:
    write_chunks(iter_crosswalk_csv(view, bom=bom), stream_or_path)


def mapping_json(m: CrosswalkMapping) -> dict[str, object]:
    return {
        "source": m.source, "target": m.target, "relation": m.relation, "strength": m.strength,
        "rationale": m.rationale, "rationale_type": m.rationale_type, "author": m.author,
        "created": iso(m.created) or None, "source_doc": m.source_doc, "import_id": m.import_id,
        "sheet": m.sheet, "row": m.row, "derived": m.derived, "path": list(m.path),
    }


def iter_crosswalk_json(view: CrosswalkView) -> Iterator[str]:
    """The view as one JSON object, in chunks:

    {"format", "source", "target", "revision", "generated_at", "source_requirements",
     "target_requirements", "mappings": [...], "coverage": [...], "counts"}

    `coverage` and `counts` come after `mappings` because they are counted while the mappings
    stream past.
    """
    dumps = json.dumps
    head = {
        "format": JSON_FORMAT,
        "source": {"id": view.source.id, "title": view.source.title},
        "target": {"id": view.target.id, "title": view.target.title},
        "revision": view.revision or None,
        "generated_at": view.timestamp().isoformat(timespec="seconds"),
        "source_requirements": [{"id": r.id, "title": r.title}
                                for r in view.source_requirements],
        "target_requirements": [{"id": r.id, "title": r.title}
                                for r in view.target_requirements],
    }
    yield dumps(head, ensure_ascii=False)[:-1] + ', "mappings": ['
    tally = CoverageTally()
    batch: list[str] = []
    n = derived = 0
    for m in view.mappings:
        rel = relation(m.relation)
        check_strength(m)
        tally.add(m.source, rel.coverage)
        derived += m.derived
        batch.append(dumps(mapping_json(m), ensure_ascii=False))
        n += 1
        if len(batch) == BATCH:
            yield ("," if n > BATCH else "") + ",".join(batch)
            batch.clear()
    if batch:
        yield ("," if n > len(batch) else "") + ",".join(batch)
    coverage = [{"id": c.id, "title": c.title, "full": c.full, "partial": c.partial,
                 "none": c.none, "status": c.status} for c in coverage_rows(view, tally)]
    yield ('], "coverage": ' + dumps(coverage, ensure_ascii=False)
           + ', "counts": ' + dumps({"mappings": n, "derived": derived}) + "}")


def write_crosswalk_json(view: CrosswalkView, stream_or_path: PathOrStream) -> None:
    write_chunks(iter_crosswalk_json(view), stream_or_path)
