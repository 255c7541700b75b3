"""Turning one cell's value into text, an integer, a date or a list, with a reason when it fails.

Cells arrive from python-calamine (floats for every number, `date`/`datetime` for date-formatted
cells, `bool`, `str`, `""` for empty and for error cells) or from CSV (always `str`). Every
function here takes such a value and returns the typed value or raises `BadValue` with a
message a reader of the spreadsheet understands.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from crossgate.graph.ids import SHORT_ID


class BadValue(ValueError):
    """A cell value that cannot be read as what its column holds."""


EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers outside this window are not taken for dates (1954-10-03 .. 2119-01-22).
SERIAL_MIN, SERIAL_MAX = 20_000, 80_000

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # day.month.year, never US style
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_PREFIX_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
_LIST_SEPARATORS = re.compile(r"[;\n\r]+")
_LIST_SEPARATORS_WITH_COMMA = re.compile(r"[;,\n\r]+")


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if type(value) is str:
        return value == "" or value.isspace()
    return False


def text(value: object) -> str:
    """A cell as trimmed text; integral floats lose their `.0` (calamine reads 7 as 7.0)."""
    if type(value) is str and "\u00a0" not in value:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u00a0", " ").strip()


def integer(value: object, low: int | None = None, high: int | None = None) -> int:
    """An integer cell: 7, 7.0 and "7" are 7; 7.5, "seven" and True are refused."""
    if isinstance(value, bool):
        raise BadValue("expected a whole number, found TRUE/FALSE")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise BadValue(f"expected a whole number, found {value:g}")
        number = int(value)
    else:
        raw = text(value)
        try:
            as_float = float(raw)
        except ValueError:
            raise BadValue(f"expected a whole number, found {raw!r}") from None
        if not as_float.is_integer():
            raise BadValue(f"expected a whole number, found {raw}")
        number = int(as_float)
    if (low is not None and number < low) or (high is not None and number > high):
        raise BadValue(f"expected a whole number from {low} to {high}, found {number}")
    return number


def decimal(value: object) -> float:
    if isinstance(value, bool):
        raise BadValue("expected a number, found TRUE/FALSE")
    if isinstance(value, int | float):
        return float(value)
    raw = text(value)
    try:
        return float(raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw)
    except ValueError:
        raise BadValue(f"expected a number, found {raw!r}") from None


def from_serial(serial: float) -> dt.date:
    if not SERIAL_MIN <= serial <= SERIAL_MAX:
        raise BadValue(f"{serial:g} is not a date (Excel serial numbers for dates lie between "
                       f"{SERIAL_MIN} and {SERIAL_MAX})")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def date(value: object) -> dt.date:
    """A date from a date cell, an Excel serial number (45352) or a date string.

    Strings: 2026-08-02, 2 August 2026, Aug 2, 2026, 02.08.2026 (day first), and 13/08/2026 or
    08/13/2026 when the day is unambiguous (above 12); 03/04/2026 is refused as ambiguous.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise BadValue("expected a date, found TRUE/FALSE")
    if isinstance(value, int | float):
        return from_serial(float(value))
    raw = text(value)
    try:
        if _SERIAL.match(raw):
            return from_serial(float(raw))
        if match := _ISO_DATE.match(raw):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DOTTED.match(raw):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        if match := _SLASHED.match(raw):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            if first > 12 >= second:
                return dt.date(year, second, first)
            if second > 12 >= first:
                return dt.date(year, first, second)
            if first == second:
                return dt.date(year, first, second)
            raise BadValue(f"ambiguous date {raw!r} (day/month or month/day?): "
                           "write it as YYYY-MM-DD")
        if match := _DAY_MONTH_YEAR.match(raw):
            month = _MONTHS.get(match[2].lower())
            if month:
                return dt.date(int(match[3]), month, int(match[1]))
        if match := _MONTH_DAY_YEAR.match(raw):
            month = _MONTHS.get(match[1].lower())
            if month:
                return dt.date(int(match[3]), month, int(match[2]))
    except ValueError as error:  # dt.date(2026, 2, 30)
        if isinstance(error, BadValue):
            raise
        raise BadValue(f"not a real date: {raw!r} ({error})") from None
    raise BadValue(f"not a date: {raw!r} (write it as YYYY-MM-DD)")


def split_list(value: object, commas: bool = False) -> list[str]:
    """A cell holding several values, one per line or separated by `;` (and `,` if asked)."""
    if is_blank(value):
        return []
    pattern = _LIST_SEPARATORS_WITH_COMMA if commas else _LIST_SEPARATORS
    return [part.strip() for part in pattern.split(text(value)) if part.strip()]


def short_id(value: object, default_prefix: str | None = None, always: bool = False) -> str:
    """A short id `prefix:local`, whitespace trimmed and the prefix lower-cased.

    With `default_prefix`, a bare local id ("GOVERN 1.1") gets that prefix; with `always`,
    every value does (the value is a local id even when it holds a colon).
    """
    raw = text(value)
    if not raw:
        raise BadValue("no id given")
    if default_prefix and always:
        raw = f"{default_prefix}:{raw}"
    elif default_prefix:
        head, sep, _ = raw.partition(":")
        if not sep or not _PREFIX_SHAPE.match(head.strip()):
            raw = f"{default_prefix}:{raw}"
    prefix, sep, local = raw.partition(":")
    candidate = f"{prefix.strip().lower()}:{local.strip()}" if sep else raw
    if not SHORT_ID.match(candidate):
        raise BadValue(f"{raw!r} is not an id of the form prefix:local (e.g. euaia:art-9, "
                       "ctrl:CHM-002)")
    return candidate


@functools.lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, AA -> 26."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number - 1
