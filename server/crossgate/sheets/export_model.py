"""The plain data a crosswalk export is written from, and the rules all export formats share.

The writers (`export_matrix` for xlsx, `export_csvjson` for csv and json, `export_oscal` for an
OSCAL mapping-collection) read a `CrosswalkView` and nothing else: no graph store, no HTTP.
`CrosswalkView.mappings` may be a generator; every writer walks it exactly once.

Shared here:
- `RELATIONS`: per relation its matrix glyph, the coverage it passes and its OSCAL spelling;
- `DETAIL_COLUMNS` / `detail_values`: the one-row-per-mapping layout of the xlsx `detail`
  sheet and of the csv export (headers the spreadsheet import recognises);
- `neutralise` / `unneutralise`: the formula-injection rule for every exported text cell;
- `CoverageTally`: the per-source-requirement coverage summary, counted while streaming.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

# ---------------------------------------------------------------------------------------------
# Relations


@dataclass(frozen=True, slots=True)
class Relation:
    name: str
    glyph: str  # matrix cell symbol; never a character that starts a formula
    coverage: str  # what the mapping passes from source to target: "full" | "partial" | "none"
    oscal: str | None  # OSCAL 1.2 map relationship, None where OSCAL has no equivalent
    meaning: str  # one line for the legend


RELATIONS: dict[str, Relation] = {
    r.name: r
    for r in (
        Relation("equal", "≡", "full", "equal-to", "source and target have the same scope"),
        Relation("superset", "⊇", "full", "superset-of",
                 "the source's scope contains all of the target's, and more"),
        Relation("subset", "⊆", "partial", "subset-of",
                 "the source's scope is only part of the target's"),
        Relation("intersects", "∩", "partial", "intersects-with",
                 "the scopes overlap but neither contains the other"),
        Relation("related", "~", "none", None,
                 "an informative link only: no coverage travels along it"),
        Relation("not_related", "∅", "none", "no-relationship",
                 "a reviewer checked the pair and found no overlap"),
    )
}
RELATION_INDEX: dict[str, int] = {name: i for i, name in enumerate(RELATIONS)}

COVERAGE_CLASSES = ("full", "partial", "none")
STRENGTH_MIN, STRENGTH_MAX = 0, 10
DERIVED_MARK = "*"  # appended to a matrix cell whose mapping was derived (a chain of mappings)
PATH_SEPARATOR = " → "  # joins the ids of a derived mapping's path in detail/csv


def relation(name: str) -> Relation:
    try:
        return RELATIONS[name]
    except KeyError:
        raise ValueError(f"unknown relation {name!r}; expected one of {', '.join(RELATIONS)}") \
            from None


# ---------------------------------------------------------------------------------------------
# Input model


@dataclass(frozen=True, slots=True)
class Framework:
    id: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    title: str = ""


@dataclass(slots=True)
class CrosswalkMapping:
    """One mapping "source <relation> target", authored (imported) or derived by the closure."""

    source: str
    target: str
    relation: str  # one of RELATIONS
    strength: int | None = None  # 0..10 (OLIR scale), None when not given
    rationale: str = ""
    rationale_type: str = ""  # "syntactic" | "semantic" | "functional" | ""
    author: str = ""
    created: date | datetime | str | None = None
    source_doc: str = ""
    import_id: str = ""
    sheet: str = ""
    row: int | None = None
    derived: bool = False
    path: Sequence[str] = ()  # requirement ids from source to target, for derived mappings


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """Coverage of one source requirement: how many of its mappings pass full, partial or no
    coverage, and the best of them as `status` ("full", "partial", "none" or "unmapped")."""

    id: str
    title: str = ""
    full: int = 0
    partial: int = 0
    none: int = 0
    status: str = ""


@dataclass(slots=True)
class CrosswalkView:
    """Everything one export needs. Requirements keep the order given (matrix rows/columns)."""

    source: Framework
    target: Framework
    source_requirements: Sequence[Requirement]
    target_requirements: Sequence[Requirement]
    mappings: Iterable[CrosswalkMapping]
    # Summary rows per source requirement; None = counted from `mappings` while writing.
    coverage: Sequence[CoverageRow] | None = None
    revision: str = ""  # data revision the view was read at, shown in every export
    generated_at: datetime | None = None  # default: the time of writing (UTC)

    def timestamp(self) -> datetime:
        stamp = self.generated_at or datetime.now(UTC)
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Formula neutralisation

# A text cell starting with one of these may be run as a formula by a spreadsheet (also their
# full-width forms, which some input methods turn into the ASCII ones).
FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
SAFE_PREFIX = "'"
_FIRST_CHARS_TO_CHECK = FORMULA_TRIGGERS | {SAFE_PREFIX}


def neutralise(text: str) -> str:
    """Prefix `'` to text that would start a formula.

    Text already made of apostrophes followed by a trigger gets one more apostrophe, so that
    `unneutralise(neutralise(s)) == s` for every string.
    """
    if text[:1] not in _FIRST_CHARS_TO_CHECK:
        return text
    if text.lstrip(SAFE_PREFIX)[:1] in FORMULA_TRIGGERS:
        return SAFE_PREFIX + text
    return text


def unneutralise(text: str) -> str:
    """Undo `neutralise`: for an importer reading back a crossgate export."""
    if text[:1] == SAFE_PREFIX and text.lstrip(SAFE_PREFIX)[:1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


# ---------------------------------------------------------------------------------------------
# The one-row-per-mapping layout (xlsx `detail` sheet, csv)

# Headers spelled as the spreadsheet import's aliases (sheets/aliases.py) spell them, so an
# exported workbook or csv imports back; rows with derived = "yes" are for reading, not import.
DETAIL_COLUMNS: tuple[str, ...] = (
    "source", "target", "relation", "strength", "rationale", "rationale type", "author",
    "created", "source document", "import id", "source sheet", "source row", "derived", "path",
)
DETAIL_WIDTHS: tuple[int, ...] = (18, 18, 11, 8, 60, 13, 20, 20, 30, 20, 14, 10, 8, 50)


def iso(value: date | datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return str(value)


def detail_values(m: CrosswalkMapping) -> tuple[str | int | None, ...]:
    """A mapping as DETAIL_COLUMNS values: text, int, or None for an empty number cell."""
    return (
        m.source, m.target, m.relation, m.strength, m.rationale, m.rationale_type, m.author,
        iso(m.created), m.source_doc, m.import_id, m.sheet, m.row,
        "yes" if m.derived else "no", PATH_SEPARATOR.join(m.path),
    )


def check_strength(m: CrosswalkMapping) -> None:
    s = m.strength
    if s is not None and not (isinstance(s, int) and STRENGTH_MIN <= s <= STRENGTH_MAX):
        raise ValueError(
            f"strength of {m.source} -> {m.target} must be an integer "
            f"{STRENGTH_MIN}..{STRENGTH_MAX} or empty, got {s!r}")


# ---------------------------------------------------------------------------------------------
# Coverage summary

COVERAGE_COLUMNS = ("requirement", "title", "full", "partial", "none", "status")


class CoverageTally:
    """Counts, per source requirement, the mappings passing full/partial/no coverage."""

    def __init__(self) -> None:
        self._counts: dict[str, list[int]] = {}

    def add(self, source: str, coverage: str) -> None:
        counts = self._counts.get(source)
        if counts is None:
            counts = self._counts[source] = [0, 0, 0]
        counts[COVERAGE_CLASSES.index(coverage)] += 1

    def rows(self, requirements: Iterable[Requirement]) -> list[CoverageRow]:
        out = []
        for req in requirements:
            full, partial, none = self._counts.get(req.id, (0, 0, 0))
            status = ("full" if full else "partial" if partial else "none" if none
                      else "unmapped")
            out.append(CoverageRow(req.id, req.title, full, partial, none, status))
        return out


def coverage_rows(view: CrosswalkView, tally: CoverageTally) -> Sequence[CoverageRow]:
    """The view's own coverage rows if it has them, else the ones counted while streaming."""
    return view.coverage if view.coverage is not None else tally.rows(view.source_requirements)


# ---------------------------------------------------------------------------------------------
# Output sinks

PathOrStream = str | os.PathLike[str] | IO[Any]


@contextmanager
def text_sink(stream_or_path: PathOrStream) -> Iterator[Callable[[str], object]]:
    """A `write(str)` for a path (UTF-8, created or replaced), a text stream or a byte stream."""
    if isinstance(stream_or_path, str | os.PathLike):
        with open(stream_or_path, "w", encoding="utf-8", newline="") as fh:
            yield fh.write
    elif isinstance(stream_or_path, io.TextIOBase) or hasattr(stream_or_path, "encoding"):
        yield stream_or_path.write
    else:
        stream = stream_or_path
        yield lambda text: stream.write(text.encode("utf-8"))


def write_chunks(chunks: Iterable[str], stream_or_path: PathOrStream) -> None:
    with text_sink(stream_or_path) as write:
        for chunk in chunks:
            write(chunk)
