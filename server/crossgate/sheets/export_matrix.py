"""Crosswalk workbook (xlsx) for auditors: matrix, legend, detail and coverage sheets.

Written with xlsxwriter in `constant_memory` mode: each sheet's rows go to disk as soon as the
next row starts, so a 2,000 x 2,000 matrix costs a few MB. Rows must therefore be written in
order; mappings arrive in any order, so the matrix keeps one small int per mapping (relation,
strength and derived flag packed below 256, so CPython shares the int objects) grouped by row
and writes the matrix once the mappings are consumed. The detail sheet is written while
streaming. Memory is O(rows + columns + mappings), never O(rows x columns).

Every text cell goes through `neutralise` and `write_string`: nothing in the file is a formula.
docs/export.md describes the layout.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from crossgate.sheets.export_model import (
    COVERAGE_CLASSES,
    COVERAGE_COLUMNS,
    DERIVED_MARK,
    DETAIL_COLUMNS,
    DETAIL_WIDTHS,
    RELATION_INDEX,
    RELATIONS,
    STRENGTH_MAX,
    CoverageRow,
    CoverageTally,
    CrosswalkView,
    check_strength,
    coverage_rows,
    detail_values,
    neutralise,
    relation,
)

SHEET_MATRIX, SHEET_LEGEND, SHEET_DETAIL, SHEET_COVERAGE = "matrix", "legend", "detail", "coverage"
MATRIX_HEADER_ROWS = 2  # row 0: target ids, row 1: target titles
MATRIX_HEADER_COLS = 2  # column A: source ids, column B: source titles
MULTI_SEPARATOR = "; "  # between several mappings of one cell
XLSX_MAX_ROWS, XLSX_MAX_COLS = 1_048_576, 16_384
LEGEND_TEXT_WIDTH = 90  # characters, column C of the legend
PRINT_FIT_COLUMNS = 30  # up to this many targets, a printed matrix is one page wide

_FILLS = {"full": ("#C6EFCE", "#006100"), "partial": ("#FFEB9C", "#9C5700"),
          "none": ("#EDEDED", "#595959")}

# A matrix cell is coded as relation * 32 + strength slot * 2 + derived (< 256).
_NO_STRENGTH = STRENGTH_MAX + 1


def _code(rel_index: int, strength: int | None, derived: bool) -> int:
    return rel_index * 32 + (_NO_STRENGTH if strength is None else strength) * 2 + derived


def cell_text(relation_name: str, strength: int | None, derived: bool = False) -> str:
    """The matrix notation: glyph, then the strength if known, then `*` if derived."""
    text = RELATIONS[relation_name].glyph
    if strength is not None:
        text += f" {strength}"
    return text + DERIVED_MARK if derived else text


# Per cell code: its text and (coverage class, derived), computed once.
_CELL_TEXT: dict[int, str] = {}
_CELL_KIND: dict[int, tuple[str, bool]] = {}
for _rel in RELATIONS.values():
    for _strength in (*range(STRENGTH_MAX + 1), None):
        for _derived in (False, True):
            _c = _code(RELATION_INDEX[_rel.name], _strength, _derived)
            _CELL_TEXT[_c] = cell_text(_rel.name, _strength, _derived)
            _CELL_KIND[_c] = (_rel.coverage, _derived)


@dataclass(frozen=True, slots=True)
class XlsxExportSummary:
    mappings: int  # rows in detail
    derived: int
    in_matrix: int  # mappings placed in a matrix cell
    outside_matrix: int  # mappings whose source or target is not a listed requirement


Cell = tuple[str | int, Format | None] | None


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.bold = wb.add_format({"bold": True, "valign": "top"})
        self.heading = wb.add_format({"bold": True, "font_size": 13})
        self.header = wb.add_format({"bold": True, "bottom": 1, "text_wrap": True,
                                     "valign": "bottom"})
        self.header_rotated = wb.add_format({"bold": True, "rotation": 90, "bottom": 1,
                                             "align": "center", "valign": "bottom"})
        self.title_rotated = wb.add_format({"rotation": 90, "text_wrap": True, "bottom": 1,
                                            "align": "center", "valign": "bottom"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top", "align": "left"})
        self.cell: dict[tuple[str, bool], Format] = {}
        for cls, (fill, font) in _FILLS.items():
            for derived in (False, True):
                self.cell[cls, derived] = wb.add_format({
                    "bg_color": fill, "font_color": font, "align": "center",
                    "italic": derived, "border": 1, "border_color": "#D9D9D9"})


def _put(ws: Worksheet, row: int, col: int, value: str | int | None,
         fmt: Format | None = None) -> None:
    """Write one cell: text neutralised and always as a string, ints as numbers, None/"" not."""
    if value is None or value == "":
        return
    if isinstance(value, int):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, neutralise(value), fmt)


def write_crosswalk_xlsx(view: CrosswalkView, stream_or_path: str | os.PathLike[str] | IO[Any],
                         *, include_detail: bool = True,
                         tmpdir: str | None = None) -> XlsxExportSummary:
    """Write the crosswalk workbook to a path or a binary stream; returns what was written.

    `include_detail=False` leaves out the detail sheet (one row per mapping), for a matrix-only
    workbook. `tmpdir` is where xlsxwriter keeps its per-sheet row files while writing.
    """
    rows, cols = view.source_requirements, view.target_requirements
    if len(rows) + MATRIX_HEADER_ROWS > XLSX_MAX_ROWS or \
            len(cols) + MATRIX_HEADER_COLS > XLSX_MAX_COLS:
        raise ValueError(f"a {len(rows)} x {len(cols)} matrix does not fit in one xlsx sheet "
                         f"({XLSX_MAX_ROWS - MATRIX_HEADER_ROWS} rows, "
                         f"{XLSX_MAX_COLS - MATRIX_HEADER_COLS} columns at most)")
    target = os.fspath(stream_or_path) if isinstance(stream_or_path, os.PathLike) \
        else stream_or_path
    wb = xlsxwriter.Workbook(target, {
        "constant_memory": True, "tmpdir": tmpdir,
        # Belt and braces: only write_string/write_number are used, but never let a plain
        # write() turn text into a formula, a link or a number.
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    try:
        summary = _write_sheets(wb, view, include_detail)
    except BaseException:
        with contextlib.suppress(Exception):
            wb.close()  # releases xlsxwriter's temporary row files
        if isinstance(target, str):  # no half-written workbook left behind
            with contextlib.suppress(OSError):
                os.remove(target)
        raise
    wb.close()
    return summary


def _write_sheets(wb: xlsxwriter.Workbook, view: CrosswalkView,
                  include_detail: bool) -> XlsxExportSummary:
    rows, cols = view.source_requirements, view.target_requirements
    fmt = _Formats(wb)
    ws_matrix = wb.add_worksheet(SHEET_MATRIX)
    ws_legend = wb.add_worksheet(SHEET_LEGEND)
    ws_detail = wb.add_worksheet(SHEET_DETAIL) if include_detail else None
    ws_coverage = wb.add_worksheet(SHEET_COVERAGE)

    if ws_detail is not None:
        _start_detail(ws_detail, fmt)
    row_index = {req.id: i for i, req in enumerate(rows)}
    col_index = {req.id: j for j, req in enumerate(cols)}
    cells: dict[int, dict[int, int | list[int]]] = {}  # matrix row -> column -> cell code(s)
    tally = CoverageTally()
    count = derived = placed = 0
    for m in view.mappings:
        rel = relation(m.relation)
        check_strength(m)
        count += 1
        derived += m.derived
        tally.add(m.source, rel.coverage)
        if ws_detail is not None:
            if count >= XLSX_MAX_ROWS:
                raise ValueError(f"more than {XLSX_MAX_ROWS - 1} mappings do not fit in the "
                                 "detail sheet: export csv or json, or include_detail=False")
            for c, value in enumerate(detail_values(m)):
                _put(ws_detail, count, c, value)
        i, j = row_index.get(m.source), col_index.get(m.target)
        if i is None or j is None:
            continue
        placed += 1
        code = _code(RELATION_INDEX[m.relation], m.strength, m.derived)
        row_cells = cells.get(i)
        if row_cells is None:
            cells[i] = {j: code}
        elif (prev := row_cells.get(j)) is None:
            row_cells[j] = code
        elif isinstance(prev, list):
            prev.append(code)
        else:
            row_cells[j] = [prev, code]

    summary = XlsxExportSummary(count, derived, placed, count - placed)
    _write_matrix(ws_matrix, fmt, view, cells)
    _write_legend(ws_legend, fmt, view, summary, include_detail)
    _write_coverage(ws_coverage, fmt, coverage_rows(view, tally))
    return summary


def _start_detail(ws: Worksheet, fmt: _Formats) -> None:
    for c, (name, width) in enumerate(zip(DETAIL_COLUMNS, DETAIL_WIDTHS, strict=True)):
        ws.set_column(c, c, width)
        ws.write_string(0, c, name, fmt.header)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, len(DETAIL_COLUMNS) - 1)
    ws.set_landscape()
    ws.repeat_rows(0)


def _cell(codes: int | list[int], fmt: _Formats) -> tuple[str, Format]:
    if isinstance(codes, int):
        return _CELL_TEXT[codes], fmt.cell[_CELL_KIND[codes]]
    # Several mappings for one pair: all of them, coloured by the best coverage among them.
    best = min(COVERAGE_CLASSES.index(_CELL_KIND[code][0]) for code in codes)
    all_derived = all(_CELL_KIND[code][1] for code in codes)
    text = MULTI_SEPARATOR.join(_CELL_TEXT[code] for code in codes)
    return text, fmt.cell[COVERAGE_CLASSES[best], all_derived]


def _write_matrix(ws: Worksheet, fmt: _Formats, view: CrosswalkView,
                  cells: dict[int, dict[int, int | list[int]]]) -> None:
    rows, cols = view.source_requirements, view.target_requirements
    first = MATRIX_HEADER_COLS
    ws.set_column(0, 0, min(40, max((len(r.id) for r in rows), default=12) + 2))
    ws.set_column(1, 1, 48)
    if cols:
        ws.set_column(first, first + len(cols) - 1, 6.5)
    # Header heights from the longest id / title (rotated text, about 6 points per character).
    id_len = max((len(c.id) for c in cols), default=10)
    title_len = max((len(c.title) for c in cols), default=0)
    ws.set_row(0, min(409, 6.5 * id_len + 12))
    ws.set_row(1, min(300, 6.5 * min(title_len, 45) + 12) if title_len else None)
    ws.freeze_panes(MATRIX_HEADER_ROWS, MATRIX_HEADER_COLS)
    # Printed (or saved as PDF): landscape, headers and requirement columns on every page.
    ws.set_landscape()
    ws.repeat_rows(0, MATRIX_HEADER_ROWS - 1)
    ws.repeat_columns(0, MATRIX_HEADER_COLS - 1)
    if len(cols) <= PRINT_FIT_COLUMNS:
        ws.fit_to_pages(1, 0)

    _put(ws, 0, 0, "source ↓   target →", fmt.header)
    _put(ws, 0, 1, f"{_name(view.source)} × {_name(view.target)}", fmt.header)
    for j, col in enumerate(cols):
        _put(ws, 0, first + j, col.id, fmt.header_rotated)
    _put(ws, 1, 0, "requirement ↓", fmt.header)
    _put(ws, 1, 1, "title ↓", fmt.header)
    for j, col in enumerate(cols):
        _put(ws, 1, first + j, col.title, fmt.title_rotated)

    write_string, put = ws.write_string, _put
    for i, req in enumerate(rows):
        r = MATRIX_HEADER_ROWS + i
        put(ws, r, 0, req.id, fmt.bold)
        put(ws, r, 1, req.title)
        row_cells = cells.get(i)
        if not row_cells:
            continue
        for j in sorted(row_cells):
            text, cell_fmt = _cell(row_cells[j], fmt)
            write_string(r, first + j, text, cell_fmt)  # glyph text never needs neutralising


def _name(fw: Any) -> str:
    return f"{fw.title} ({fw.id})" if fw.title else fw.id


def _write_legend(ws: Worksheet, fmt: _Formats, view: CrosswalkView,
                  summary: XlsxExportSummary, include_detail: bool) -> None:
    for c, width in enumerate((24, 8, LEGEND_TEXT_WIDTH, 16, 30)):
        ws.set_column(c, c, width)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)

    def heading(text: str) -> list[Cell]:
        return [(text, fmt.heading)]

    def pair(key: str, value: str | int) -> list[Cell]:
        return [(key, fmt.bold), None, (value, fmt.wrap)]

    out: list[list[Cell]] = [
        heading("Crosswalk export"),
        pair("source framework", _name(view.source)),
        pair("target framework", _name(view.target)),
        pair("data revision", view.revision or "(not given)"),
        pair("generated at", view.timestamp().isoformat(timespec="seconds")),
        pair("mappings", summary.mappings),
        pair("of which derived", summary.derived),
        pair("shown in the matrix", summary.in_matrix),
        pair("not in the matrix", summary.outside_matrix),
        [],
        heading("Matrix cells"),
        pair("rows, columns", "rows are the source requirements, columns the target "
                              "requirements; a cell reads \"source <relation> target\""),
        pair("notation", "the relation's glyph, then the strength 0-10 when one is recorded: "
                         "\"⊇ 8\" is a superset mapping of strength 8"),
        pair("derived", f"a trailing {DERIVED_MARK} (and italics) marks a mapping derived "
                        "through a chain of mappings; the detail sheet gives its path"),
        pair("several", "several mappings of one pair share the cell, separated by "
                        f"\"{MULTI_SEPARATOR.strip()}\"; the colour follows the best coverage"),
        [],
        [("relation", fmt.header), ("glyph", fmt.header), ("meaning", fmt.header),
         ("coverage passed", fmt.header), ("OSCAL relationship", fmt.header)],
        *([(rel.name, fmt.bold), (cell_text(rel.name, None), fmt.cell[rel.coverage, False]),
           (rel.meaning, fmt.wrap), (rel.coverage, None),
           (rel.oscal or "(none: left out of OSCAL exports)", None)]
          for rel in RELATIONS.values()),  # type: ignore[list-item]  # unpacked rows
        [],
        heading("Strength"),
        pair("0-10", "how much the two scopes coincide, on the OLIR scale: 10 for the same "
                     "scope, lower for partial overlaps, 0 for none; empty when not recorded"),
        heading("Coverage"),
        pair("full / partial / none", "what a mapping passes from source to target: equal and "
                                      "superset pass full coverage, subset and intersects "
                                      "partial, related and not_related none"),
        pair("coverage sheet", "per source requirement, how many of its mappings pass each "
                               "kind of coverage; status is the best of them, or \"unmapped\""),
        heading("Text cells"),
        pair("formulas", "text that would begin with = + - @, a tab or a carriage return is "
                         "written as text behind an apostrophe ('), so no spreadsheet runs it"),
    ]
    if include_detail:
        out.append(pair("detail sheet", "one row per mapping, under the column headers the "
                                        "crossgate spreadsheet import reads; rows with derived "
                                        "= yes are computed, not authored, and not imported"))
    for r, cells in enumerate(out):
        # No application re-measures wrapped text on opening: give long texts their lines.
        longest = max((len(str(cell[0])) for cell in cells if cell is not None), default=0)
        if longest > LEGEND_TEXT_WIDTH:
            ws.set_row(r, 15 * -(-longest // (LEGEND_TEXT_WIDTH + 10)))
        for c, cell in enumerate(cells):
            if cell is not None:
                _put(ws, r, c, *cell)


def _write_coverage(ws: Worksheet, fmt: _Formats, rows: Any) -> None:
    for c, (head, width) in enumerate(zip(COVERAGE_COLUMNS, (18, 48, 8, 8, 8, 10),
                                          strict=True)):
        ws.set_column(c, c, width)
        ws.write_string(0, c, head, fmt.header)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, len(COVERAGE_COLUMNS) - 1)
    row: CoverageRow
    for r, row in enumerate(rows, start=1):
        values: tuple[str | int | None, ...] = (row.id, row.title, row.full, row.partial,
                                                 row.none, row.status)
        for c, value in enumerate(values):
            _put(ws, r, c, value)
