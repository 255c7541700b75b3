"""Reading uploaded workbooks (xlsx with python-calamine, csv) into located tables.

Formulas are never evaluated: calamine returns the value Excel cached when it last saved the
file. Two things calamine does not say are recovered from the sheet XML while the archive is
checked (limits.check_xlsx): which cells hold an Excel error (#N/A, #REF!, ... read by calamine
as empty) and which formulas have no cached value (files written by tools that do not compute
formulas). Both are reported on the cell rather than read as "empty".

A table is found by its header row, which may sit anywhere in the first HEADER_SCAN_ROWS rows
(below title rows), may be made of merged cells, and is recognised by the aliases of
aliases.py. Every data row keeps its Excel row number; columns are reported as letters.
"""

from __future__ import annotations

import csv
import functools
import io
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import python_calamine

from crossgate.sheets import aliases
from crossgate.sheets.limits import LimitExceeded, Limits, check_upload_size, check_xlsx
from crossgate.sheets.values import column_index, column_letter, is_blank, text

HEADER_SCAN_ROWS = 30
_NOTE_MIN_LENGTH = 25
_SHORT_ID_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:\S")

Merged = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first col), (last row, last col))


@dataclass
class RawSheet:
    """One sheet's cells as a rectangle from A1 (0-based indices), with what calamine hides."""

    name: str
    rows: list[list[Any]]
    merged: list[Merged] = field(default_factory=list)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)

    def value(self, row: int, col: int) -> Any:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return ""


@dataclass
class Table:
    """A sheet read as one table: which columns hold which field, and its data rows."""

    sheet: RawSheet
    kind: str
    header_row: int  # 0-based index of the header row (its last row when merged vertically)
    columns: dict[str, list[int]]  # field -> column indices holding it (several when merged)
    unused_columns: list[tuple[int, str]]  # (column, header text) recognised by no alias
    shadowed_columns: list[tuple[int, str, str]]  # (column, header, field) lost to a better one

    @property
    def name(self) -> str:
        return self.sheet.name

    @functools.cached_property
    def field_of_column(self) -> dict[int, str]:
        return {col: name for name, cols in self.columns.items() for col in cols}

    @functools.cached_property
    def letters(self) -> dict[str, str]:
        """Field -> letter of its (first) column."""
        return {name: column_letter(cols[0]) for name, cols in self.columns.items()}

    @property
    def data_start(self) -> int:
        return self.header_row + 1

    def has(self, field_name: str) -> bool:
        return field_name in self.columns

    def letter(self, field_name: str) -> str | None:
        return self.letters.get(field_name)

    def get(self, row: list[Any], field_name: str) -> tuple[Any, int | None]:
        """First non-blank value of a field in a row, with its column (or ("", first column))."""
        cols = self.columns.get(field_name)
        if not cols:
            return "", None
        for col in cols:
            if col < len(row) and not is_blank(row[col]):
                return row[col], col
        return "", cols[0]

    def get_all(self, row: list[Any], field_name: str) -> list[tuple[Any, int]]:
        return [(row[col], col) for col in self.columns.get(field_name, ())
                if col < len(row) and not is_blank(row[col])]

    def data_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(0-based row index, values) of each row below the header that is not blank."""
        rows = self.sheet.rows
        for index in range(self.data_start, len(rows)):
            row = rows[index]
            if any(not is_blank(value) for value in row):
                yield index, row


@dataclass
class HeaderProblem:
    """A sheet that looks like `kind` but lacks required columns."""

    sheet: RawSheet
    kind: str
    header_row: int | None
    missing: list[str]


# ---------------------------------------------------------------------------------------------
# Reading files


def is_csv(filename: str, data: bytes) -> bool:
    """CSV unless the bytes or the name say workbook (a zip, or an old/encrypted OLE file)."""
    if data.startswith(b"PK") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return False
    return not filename.lower().endswith((".xlsx", ".xlsm", ".xls"))


def read_xlsx(data: bytes, limits: Limits) -> list[RawSheet]:
    """All worksheets of an xlsx upload, after the archive passed the limits."""
    scanner = _CellScanner()
    check_xlsx(data, limits, scanner.watch)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # calamine raises its own error types for corrupt files
        raise LimitExceeded(400, f"not a readable .xlsx workbook ({error})") from None
    part_of_sheet = scanner.sheet_parts()
    sheets: list[RawSheet] = []
    total_cells = 0
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception:  # chart sheets and the like
            continue
        end = sheet.end
        if end is None:
            sheets.append(RawSheet(name, []))
            continue
        height, width = end[0] + 1, end[1] + 1
        if height > limits.max_rows:
            raise LimitExceeded(413, f"sheet {name!r} has {height:,} rows; the limit is "
                                     f"{limits.max_rows:,}")
        total_cells += height * width
        if total_cells > limits.max_cells:
            raise LimitExceeded(413, f"the workbook has more than {limits.max_cells:,} cells "
                                     f"(sheet {name!r} spans {height:,} rows x {width:,} "
                                     "columns)")
        rows = sheet.to_python(skip_empty_area=False)
        merged = [tuple(map(tuple, rng)) for rng in (sheet.merged_cell_ranges or [])]
        part = part_of_sheet.get(name)
        sheets.append(RawSheet(name, rows, merged,  # type: ignore[arg-type]
                               scanner.errors.get(part, {}) if part else {},
                               scanner.uncached.get(part, set()) if part else set()))
    workbook.close()
    return sheets


def read_csv(data: bytes, filename: str, limits: Limits) -> tuple[RawSheet, list[str]]:
    """A CSV upload as one sheet named after the file, and notes on how it was decoded."""
    check_upload_size(data, limits)
    notes: list[str] = []
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("cp1252", errors="replace")
        notes.append("the file is not UTF-8; it was read as Windows-1252 (save it as "
                     "'CSV UTF-8' to be sure accented characters survive)")
    sample = content[:64 * 1024]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        delimiter = max(",;\t|", key=first.count)
    rows: list[list[Any]] = []
    cells = 0
    # The csv module refuses a field over 128 KiB by default (and that is the only error its
    # non-strict reader raises). A field is bounded by the upload limit already (the whole file
    # is), so fields up to that size are read like any other and the validation judges their
    # content. The csv limit is process-wide and only ever raised.
    if csv.field_size_limit() < limits.max_upload_bytes:
        csv.field_size_limit(limits.max_upload_bytes)
    for record in csv.reader(io.StringIO(content, newline=""), delimiter=delimiter):
        rows.append(record)
        cells += len(record)
        if len(rows) > limits.max_rows:
            raise LimitExceeded(413, f"the file has more than {limits.max_rows:,} rows")
        if cells > limits.max_cells:
            raise LimitExceeded(413, f"the file has more than {limits.max_cells:,} cells")
    return RawSheet(filename, rows), notes


class _CellScanner:
    """Watches the inflated sheet XML for error cells and formulas without a cached value."""

    _CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
    _REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
    _VALUE = re.compile(rb"<v>([^<]*)</v>")

    def __init__(self) -> None:
        self.errors: dict[str, dict[tuple[int, int], str]] = {}
        self.uncached: dict[str, set[tuple[int, int]]] = {}
        self._small: dict[str, bytes] = {}

    def watch(self, name: str):
        if name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            chunks: list[bytes] = []
            self._small[name] = b""

            def keep(piece: bytes) -> None:
                chunks.append(piece)
                self._small[name] = b"".join(chunks)[:8 * 1024 * 1024]
            return keep
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            return self._sheet_consumer(name)
        return None

    def _sheet_consumer(self, name: str):
        pending = b""

        def consume(piece: bytes) -> None:
            nonlocal pending
            buffer = pending + piece
            cut = buffer.rfind(b"</c>")
            if cut < 0:
                # keep only what may start a cell element
                start = buffer.rfind(b"<c ")
                pending = buffer[start:] if start >= 0 else buffer[-16:]
                return
            cut += 4
            head, pending = buffer[:cut], buffer[cut:]
            if b't="e"' in head or b"<f" in head:
                self._scan(name, head)
        return consume

    def _scan(self, part: str, xml: bytes) -> None:
        for match in self._CELL.finditer(xml):
            attributes, body = match[1], match[2] or b""
            ref = self._REF.search(attributes)
            if not ref:
                continue
            position = (int(ref[2]) - 1, column_index(ref[1].decode()))
            value = self._VALUE.search(body)
            if b't="e"' in attributes:
                shown = value[1].decode("utf-8", "replace") if value else "#ERROR"
                self.errors.setdefault(part, {})[position] = shown
            elif b"<f" in body and (not value or not value[1]):
                self.uncached.setdefault(part, set()).add(position)

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> its XML part name, from workbook.xml and its relationships."""
        try:
            book = ET.fromstring(self._small.get("xl/workbook.xml", b"") or b"<x/>")
            rels = ET.fromstring(self._small.get("xl/_rels/workbook.xml.rels", b"") or b"<x/>")
        except ET.ParseError:
            return {}
        targets = {}
        for rel in rels:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            targets[rel.get("Id")] = path
        parts = {}
        for element in book.iter():
            if element.tag.endswith("}sheet") or element.tag == "sheet":
                rel_id = next((value for key, value in element.attrib.items()
                               if key.endswith("}id")), None)
                if rel_id in targets and element.get("name"):
                    parts[element.get("name", "")] = targets[rel_id]
        return parts


# ---------------------------------------------------------------------------------------------
# Finding tables


def merged_lookup(sheet: RawSheet, last_row: int | None = None) -> dict[tuple[int, int], Any]:
    """Cell -> value of its merged range's top-left cell, for cells inside merged ranges."""
    filled: dict[tuple[int, int], Any] = {}
    for (r0, c0), (r1, c1) in sheet.merged:
        if last_row is not None and r0 > last_row:
            continue
        value = sheet.value(r0, c0)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    filled[(r, c)] = value
    return filled


def _header_cells(sheet: RawSheet, row: int, filled: dict[tuple[int, int], Any],
                  width: int) -> list[Any]:
    cells = []
    for col in range(width):
        value = sheet.value(row, col)
        if is_blank(value):
            value = filled.get((row, col), "")
        cells.append(value)
    return cells


def _match_row(cells: list[Any], headers: dict[str, tuple[str, ...]],
               above: list[Any] | None) -> tuple[dict[str, list[tuple[int, int]]], list[Any]]:
    """field -> [(rank, col)] for one candidate header row (a blank cell may take the header
    right above it when that one is recognised: two-level headers)."""
    found: dict[str, list[tuple[int, int]]] = {}
    effective = list(cells)
    for col, value in enumerate(cells):
        match = aliases.match_header(value, headers) if not is_blank(value) else None
        if match is None and is_blank(value) and above is not None and col < len(above):
            match = aliases.match_header(above[col], headers)
            if match is not None:
                effective[col] = above[col]
        if match is not None:
            found.setdefault(match[0], []).append((match[1], col))
    return found, effective


def find_table(sheet: RawSheet, kinds: tuple[str, ...]) -> Table | HeaderProblem | None:
    """The best header row for any of `kinds` in the sheet's first rows.

    The winner has every required field of its kind and the most recognised columns; ties go
    to the earlier kind, then the earlier row. Without a complete header, a HeaderProblem
    describes the closest candidate (None when nothing resembles a header).
    """
    if not sheet.rows:
        return None
    scan = min(len(sheet.rows), HEADER_SCAN_ROWS)
    filled = merged_lookup(sheet, last_row=scan)
    best: tuple[int, int, int] | None = None  # (-score, kind index, row)
    best_found: dict[str, list[tuple[int, int]]] = {}
    best_cells: list[Any] = []
    near: tuple[int, str, int, list[str]] | None = None  # (score, kind, row, missing)
    previous: list[Any] | None = None
    width = max((len(r) for r in sheet.rows[:scan]), default=0)
    for row in range(scan):
        cells = _header_cells(sheet, row, filled, width)
        for kind_index, kind in enumerate(kinds):
            headers = aliases.SHEET_HEADERS[kind]
            found, effective = _match_row(cells, headers, previous)
            score = len(found)
            if not score:
                continue
            missing = [f for f in aliases.REQUIRED_FIELDS[kind] if f not in found]
            if missing:
                if near is None or score > near[0]:
                    near = (score, kind, row, missing)
                continue
            key = (-score, kind_index, row)
            if best is None or key < best:
                best, best_found, best_cells = key, found, effective
        previous = cells
    if best is None:
        if near is not None and near[0] >= 2:
            return HeaderProblem(sheet, near[1], near[2], near[3])
        return None
    row = best[2]
    kind = kinds[best[1]]
    # A header made of vertically merged cells ends on the merge's last row.
    last = row
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 <= row <= r1 and any(c0 <= col <= c1 for ranks in best_found.values()
                                   for _, col in ranks):
            last = max(last, r1)
    columns: dict[str, list[int]] = {}
    shadowed: list[tuple[int, str, str]] = []
    for field_name, ranks in best_found.items():
        top = min(rank for rank, _ in ranks)
        chosen = [col for rank, col in ranks if rank == top]
        # A header merged over several columns (one "Targets" over C:E) covers them all.
        for (r0, c0), (r1, c1) in sheet.merged:
            if r0 <= row <= r1 and c0 in chosen:
                chosen.extend(c for c in range(c0 + 1, c1 + 1) if c not in chosen)
        columns[field_name] = sorted(chosen)
        shadowed.extend((col, text(best_cells[col]), field_name)
                        for rank, col in ranks if rank != top)
    used = {col for cols in columns.values() for col in cols} | {c for c, _, _ in shadowed}
    unused = [(col, text(value)) for col, value in enumerate(best_cells)
              if col not in used and not is_blank(value)
              and not aliases.is_ignored_header(value, kind)]
    return Table(sheet, kind, last, columns, unused, shadowed)


def fill_merged_data(table: Table) -> None:
    """Copy a vertically merged data cell's value into every row of its range (a source
    written once for three targets)."""
    sheet = table.sheet
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 <= table.header_row or r1 == r0:
            continue
        value = sheet.value(r0, c0)
        for r in range(r0, min(r1, len(sheet.rows) - 1) + 1):
            row = sheet.rows[r]
            for c in range(c0, c1 + 1):
                if c < len(row) and (r, c) != (r0, c0) and is_blank(row[c]):
                    row[c] = value


def is_note_row(table: Table, row: list[Any]) -> bool:
    """A row that is a comment, not data: one lone text cell that is not an id where an id
    belongs (a section heading, "to be reviewed by ..."), or text starting with '#' or '//'."""
    filled: list[tuple[int, Any]] = []
    for col, value in enumerate(row):
        if not is_blank(value):
            filled.append((col, value))
            if len(filled) == 2:
                break
    if not filled:
        return True
    first = text(filled[0][1])
    if first.startswith(("#", "//")) and not _SHORT_ID_SHAPE.match(first):
        return True
    if len(filled) != 1:
        return False
    col, value = filled[0]
    if not isinstance(value, str):
        return False
    value = value.strip()
    field_name = table.field_of_column.get(col)
    if field_name is None:
        return True
    if field_name in ("id", "source", "targets", "item", "gate"):
        return not _SHORT_ID_SHAPE.match(value) and (" " in value or len(value) >= 40)
    return len(value) >= _NOTE_MIN_LENGTH and " " in value


def letter(col: int | None) -> str | None:
    return column_letter(col) if col is not None else None
