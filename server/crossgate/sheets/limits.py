"""Upload limits, checked before any parser sees the bytes.

An xlsx file is a zip archive. Its central directory (read without decompressing anything)
declares each entry's compressed and uncompressed size; `check_xlsx` refuses the archive when
the entry count, the declared total, or one entry's compression ratio is out of bounds. A
declaration can lie, so the entries are then inflated once, in bounded pieces, counting bytes:
an entry that inflates past its declared size, or a total past the limit, stops the check at
that point. Only after this does python-calamine open the file. A zip bomb therefore costs at
most `max_uncompressed_bytes` of inflating and no memory beyond one piece.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

MiB = 1024 * 1024

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LOCAL_HEADER = b"PK\x03\x04"
_PIECE = 256 * 1024
# Small entries may compress very well without being a danger; the ratio bound applies above.
_RATIO_FLOOR_BYTES = 1 * MiB


class LimitExceeded(Exception):
    """The upload is refused before parsing. `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 20 * MiB
    max_uncompressed_bytes: int = 200 * MiB
    max_rows: int = 200_000
    max_cells: int = 5_000_000
    max_zip_entries: int = 2_000
    max_compression_ratio: float = 250.0

    @classmethod
    def from_settings(cls, settings: object) -> Limits:
        """Limits from crossgate.config.Settings (its max_* fields), defaults for the rest."""
        names = ("max_upload_bytes", "max_uncompressed_bytes", "max_rows", "max_cells")
        return cls(**{name: getattr(settings, name) for name in names
                      if getattr(settings, name, None) is not None})


# Called with each entry's name; returns a consumer of that entry's inflated pieces, or None.
EntryWatcher = Callable[[str], Callable[[bytes], None] | None]


def check_upload_size(data: bytes, limits: Limits) -> None:
    if len(data) > limits.max_upload_bytes:
        raise LimitExceeded(413, f"the file is {len(data):,} bytes; the limit is "
                                 f"{limits.max_upload_bytes:,} bytes")


def check_xlsx(data: bytes, limits: Limits, watch: EntryWatcher | None = None) -> None:
    """Refuse an xlsx upload that is too large, not a zip, or a zip bomb (LimitExceeded)."""
    check_upload_size(data, limits)
    if data[:8] == _OLE_SIGNATURE:
        raise LimitExceeded(400, "this is not an .xlsx workbook: it is either an old .xls "
                                 "file or a password-protected workbook; save it as .xlsx "
                                 "without a password")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise LimitExceeded(400, f"not a readable .xlsx workbook ({error})") from None
    _check_directory(entries, limits)
    _inflate_bounded(data, entries, limits, watch)


def _check_directory(entries: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(entries) > limits.max_zip_entries:
        raise LimitExceeded(400, f"the workbook archive has {len(entries):,} entries; the "
                                 f"limit is {limits.max_zip_entries:,}")
    total = 0
    for info in entries:
        if info.flag_bits & 0x1:
            raise LimitExceeded(400, "the workbook archive holds encrypted entries")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise LimitExceeded(400, f"entry {info.filename!r} uses an unsupported "
                                     f"compression method ({info.compress_type})")
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise LimitExceeded(413, f"the workbook would expand to more than "
                                     f"{limits.max_uncompressed_bytes:,} bytes")
        if info.file_size > _RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise LimitExceeded(400, f"entry {info.filename!r} is compressed {ratio:,.0f} "
                                         f"to 1 (limit {limits.max_compression_ratio:,.0f}): "
                                         "refused as a possible zip bomb")


def _inflate_bounded(data: bytes, entries: list[zipfile.ZipInfo], limits: Limits,
                     watch: EntryWatcher | None) -> None:
    view = memoryview(data)
    total = 0
    for info in entries:
        offset = info.header_offset
        if data[offset:offset + 4] != _LOCAL_HEADER:
            raise LimitExceeded(400, f"corrupt workbook archive at entry {info.filename!r}")
        name_length, extra_length = struct.unpack("<HH", data[offset + 26:offset + 30])
        start = offset + 30 + name_length + extra_length
        compressed = view[start:start + info.compress_size]
        if len(compressed) != info.compress_size:
            raise LimitExceeded(400, f"corrupt workbook archive: entry {info.filename!r} is "
                                     "truncated")
        consumer = watch(info.filename) if watch else None
        produced = 0
        for piece in _pieces(compressed, info):
            produced += len(piece)
            total += len(piece)
            if produced > info.file_size:
                raise LimitExceeded(400, f"entry {info.filename!r} expands beyond the size "
                                         "its archive declares: refused as a possible zip bomb")
            if total > limits.max_uncompressed_bytes:
                raise LimitExceeded(413, f"the workbook expands to more than "
                                         f"{limits.max_uncompressed_bytes:,} bytes")
            if consumer is not None:
                consumer(piece)


def _pieces(compressed: memoryview, info: zipfile.ZipInfo):
    if info.compress_type == zipfile.ZIP_STORED:
        for start in range(0, len(compressed), _PIECE):
            yield bytes(compressed[start:start + _PIECE])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for start in range(0, len(compressed), _PIECE):
            pending = bytes(compressed[start:start + _PIECE])
            while pending:
                piece = inflater.decompress(pending, _PIECE)
                pending = inflater.unconsumed_tail
                if piece:
                    yield piece
                if inflater.eof:
                    return
        tail = inflater.flush()
        if tail:
            yield tail
    except zlib.error as error:
        raise LimitExceeded(400, f"corrupt workbook archive: entry {info.filename!r} "
                                 f"({error})") from None
