"""Crosswalk as an OSCAL 1.2 control mapping document (`mapping-collection`, JSON).

Shape (OSCAL 1.2.0 mapping model):

    {"mapping-collection": {
        "uuid", "metadata": {title, last-modified, version, oscal-version},
        "provenance": {method, matching-rationale, status, mapping-description},
        "mappings": [                        # one per kind present: authored, then derived
            {"uuid", "method", "source-resource": {type: catalog, href},
             "target-resource": {...}, "maps": [
                {"uuid", "relationship", "matching-rationale"?, "sources": [{type: control,
                 id-ref}], "targets": [...], "props"?: [...], "remarks"?: rationale}]}]}}

Relations map one to one onto OSCAL relationships except `related`, which OSCAL has no word
for: those maps are left out and counted (with the first pairs) in the mapping's remarks.
Strength and provenance travel as props in the crossgate namespace (OSCAL's confidence-score is
the author's confidence that a map is right, a different thing from the overlap strength).
Derived mappings form a second `mapping` with method "automation"; each map carries its path.

UUIDs are name-based (uuid5) so a mapping and a map keep theirs across exports; the document's
uuid changes with the data revision (random when the view has none).

The document is streamed: maps are serialised once into spooled temporary files (memory-capped,
then disk) because the provenance status and the split into authored/derived must be known
before the first byte of `mappings` is written.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import uuid
from collections.abc import Iterator
from typing import IO

from crossgate.graph.ids import is_short_id, to_iri
from crossgate.graph.vocab import CG
from crossgate.sheets.export_model import (
    PATH_SEPARATOR,
    CrosswalkMapping,
    CrosswalkView,
    Framework,
    PathOrStream,
    check_strength,
    iso,
    relation,
    write_chunks,
)

OSCAL_VERSION = "1.2.0"
PROP_NS = str(CG)  # namespace of crossgate's own props
RATIONALE_TYPES = ("syntactic", "semantic", "functional")  # OSCAL matching-rationale values
_UUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, PROP_NS)
_SPOOL_BYTES = 8 * 1024 * 1024
_READ_CHUNK = 256 * 1024
RELATED_LISTED = 50  # pairs of left-out `related` mappings named in remarks


class EmptyMappingCollection(ValueError):
    """OSCAL needs at least one map; the view has none it can express."""


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_UUID_NS, "\x1f".join(str(p) for p in parts)))


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _href(fw: Framework) -> str:
    """The framework's crossgate IRI (a bare id like "euaia" is read as "fw:euaia")."""
    return to_iri(fw.id if is_short_id(fw.id) else f"fw:{fw.id}")


def _name(fw: Framework) -> str:
    return _one_line(f"{fw.title} ({fw.id})" if fw.title else fw.id)


def map_json(m: CrosswalkMapping, relationship: str) -> dict[str, object]:
    """One OSCAL map for a mapping whose relation has an OSCAL relationship."""
    item: dict[str, object] = {
        "uuid": _uuid("map", m.source, m.target, m.relation, m.derived, m.import_id, m.sheet,
                      m.row, *m.path),
        "relationship": relationship,
    }
    if m.rationale_type in RATIONALE_TYPES:
        item["matching-rationale"] = m.rationale_type
    item["sources"] = [{"type": "control", "id-ref": m.source}]
    item["targets"] = [{"type": "control", "id-ref": m.target}]
    props = [
        ("strength", "" if m.strength is None else m.strength),
        ("author", m.author), ("created", iso(m.created)), ("source-document", m.source_doc),
        ("import-id", m.import_id), ("source-sheet", m.sheet),
        ("source-row", "" if m.row is None else m.row),
        ("path", PATH_SEPARATOR.join(m.path)),
    ]
    props_json = [{"name": name, "ns": PROP_NS, "value": text}
                  for name, value in props if (text := _one_line(value))]
    if props_json:
        item["props"] = props_json
    if m.rationale.strip():
        item["remarks"] = m.rationale
    return item


class _Kind:
    """The maps of one `mapping` (authored or derived), spooled as JSON text."""

    def __init__(self, derived: bool) -> None:
        self.derived = derived
        self.spool: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 closed in iter
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8")
        self.maps = 0
        self.related = 0
        self.related_pairs: list[str] = []

    def add(self, text: str) -> None:
        if self.maps:
            self.spool.write(",")
        self.spool.write(text)
        self.maps += 1

    def skip_related(self, m: CrosswalkMapping) -> None:
        self.related += 1
        if len(self.related_pairs) < RELATED_LISTED:
            self.related_pairs.append(f"{m.source} → {m.target}")

    def head(self, view: CrosswalkView) -> dict[str, object]:
        kind = "derived" if self.derived else "authored"
        head: dict[str, object] = {
            "uuid": _uuid("mapping", view.source.id, view.target.id, kind),
            "method": "automation" if self.derived else "human",
            "source-resource": {"type": "catalog", "href": _href(view.source)},
            "target-resource": {"type": "catalog", "href": _href(view.target)},
        }
        if self.derived:
            head["mapping-description"] = (
                "Mappings derived by crossgate by following chains of authored mappings; "
                "each map's path prop lists the requirements passed through.")
        if self.related:
            more = self.related - len(self.related_pairs)
            head["remarks"] = (
                f"{self.related} mapping(s) with the informative relation 'related' are left "
                "out: OSCAL 1.2 has no relationship for them. "
                + "; ".join(self.related_pairs)
                + (f"; and {more} more (see the csv or xlsx export)." if more else "."))
        return head

    def chunks(self) -> Iterator[str]:
        self.spool.seek(0)
        while chunk := self.spool.read(_READ_CHUNK):
            yield chunk


def iter_oscal_mapping_collection(view: CrosswalkView, *, matching_rationale: str = "semantic",
                                  status: str | None = None) -> Iterator[str]:
    """JSON text chunks of the OSCAL mapping-collection for the view.

    `matching_rationale` is the document-wide default (a map with its own rationale type
    overrides it). `status` defaults to "complete" when every source requirement has a map,
    else "not-complete". Raises EmptyMappingCollection before yielding anything when no
    mapping can be expressed in OSCAL.
    """
    if matching_rationale not in RATIONALE_TYPES:
        raise ValueError(f"matching_rationale must be one of {', '.join(RATIONALE_TYPES)}")
    kinds = (_Kind(derived=False), _Kind(derived=True))
    try:
        mapped_sources: set[str] = set()
        dumps = json.dumps
        for m in view.mappings:
            rel = relation(m.relation)
            check_strength(m)
            kind = kinds[bool(m.derived)]
            if rel.oscal is None:
                kind.skip_related(m)
                continue
            kind.add(dumps(map_json(m, rel.oscal), ensure_ascii=False))
            mapped_sources.add(m.source)
        present = [k for k in kinds if k.maps]
        if not present:
            raise EmptyMappingCollection(
                f"no mapping from {view.source.id} to {view.target.id} has an OSCAL "
                "relationship (OSCAL needs at least one map)")
        if status is None:
            complete = all(r.id in mapped_sources for r in view.source_requirements)
            status = "complete" if complete else "not-complete"
        del mapped_sources

        stamp = view.timestamp()
        version = view.revision or stamp.isoformat(timespec="seconds")
        doc_uuid = (_uuid("mapping-collection", view.source.id, view.target.id, view.revision)
                    if view.revision else str(uuid.uuid4()))
        revision_note = f" at data revision {view.revision}" if view.revision else ""
        head = {
            "uuid": doc_uuid,
            "metadata": {
                "title": f"Crosswalk {_name(view.source)} to {_name(view.target)}",
                "last-modified": stamp.isoformat(timespec="seconds"),
                "version": _one_line(version),
                "oscal-version": OSCAL_VERSION,
            },
            "provenance": {
                "method": "human" if kinds[0].maps else "automation",
                "matching-rationale": matching_rationale,
                "status": status,
                "mapping-description": (
                    f"Crosswalk from {_name(view.source)} to {_name(view.target)}, exported "
                    f"by crossgate{revision_note}. Each map reads 'source <relationship> "
                    f"target'; the strength (0-10) and provenance of a map are props in the "
                    f"{PROP_NS} namespace."),
            },
        }
        yield '{"mapping-collection": ' + dumps(head, ensure_ascii=False)[:-1] + ', "mappings": ['
        for n, kind in enumerate(present):
            yield ("," if n else "") + dumps(kind.head(view), ensure_ascii=False)[:-1] \
                + ', "maps": ['
            yield from kind.chunks()
            yield "]}"
        yield "]}}"
    finally:
        for kind in kinds:
            kind.spool.close()


def write_oscal_mapping_collection(view: CrosswalkView, stream_or_path: PathOrStream, *,
                                   matching_rationale: str = "semantic",
                                   status: str | None = None) -> None:
    """Write the document to a path or stream (options as for the iterator)."""
    chunks = iter_oscal_mapping_collection(view, matching_rationale=matching_rationale,
                                           status=status)
    first = next(chunks)  # raises EmptyMappingCollection before the file is created
    write_chunks(itertools.chain((first,), chunks), stream_or_path)
