"""OSCAL catalogs (JSON, OSCAL 1.x `catalog` model) as a framework of requirements.

Groups and controls (and controls nested in controls, e.g. enhancements) become requirements
with short ids `<prefix>:<id>`; each is part of its enclosing group or control. The caller
chooses the prefix; without one it is derived from the catalog's metadata title. A control's
label property (e.g. "AC-2(1)") is its citation, its statement prose (parameters shown as
their ids) its summary, and a control whose status property says "withdrawn" is imported with
legal status `repealed`. The framework is `fw:<prefix>`, titled after the catalog.
"""

from __future__ import annotations

import json
import re
from typing import Any

from crossgate.graph.ids import SHORT_ID
from crossgate.sheets.limits import LimitExceeded, Limits, check_upload_size
from crossgate.sheets.model import Entry, KnownState, ParsedFile
from crossgate.sheets.validate import error, warning

_PARAM = re.compile(r"\{\{\s*insert:\s*param,\s*([^}\s]+)\s*\}\}")
_PREFIX_CHARS = re.compile(r"[^a-z0-9]+")
_SUMMARY_MAX = 2_000
_PREFIX_MAX = 24


def looks_like_json(filename: str, data: bytes) -> bool:
    return filename.lower().endswith(".json") or data.lstrip()[:1] == b"{"


def prefix_from_title(title: str) -> str:
    """"NIST SP 800-53 Rev 5" -> "nist-sp-800-53-rev-5" (cut at a hyphen to stay short)."""
    slug = _PREFIX_CHARS.sub("-", title.lower()).strip("-") or "catalog"
    if not slug[0].isalpha():
        slug = "c-" + slug
    if len(slug) > _PREFIX_MAX:
        cut = slug.rfind("-", 0, _PREFIX_MAX + 1)
        slug = slug[: cut if cut > 0 else _PREFIX_MAX]
    return slug


def _prop(node: dict[str, Any], name: str) -> str | None:
    for prop in node.get("props") or []:
        if isinstance(prop, dict) and prop.get("name") == name:
            return str(prop.get("value", "")) or None
    return None


def _prose(parts: list[Any] | None, wanted: str = "statement") -> str:
    """The text of the part named `wanted` and everything below it, one line per part."""
    lines: list[str] = []

    def walk(items: list[Any] | None, inside: bool) -> None:
        for part in items or []:
            if not isinstance(part, dict):
                continue
            here = inside or part.get("name") == wanted
            if here:
                label = _prop(part, "label")
                prose = _PARAM.sub(lambda m: f"[{m[1]}]", str(part.get("prose") or "")).strip()
                if prose:
                    lines.append(f"{label} {prose}" if label else prose)
            walk(part.get("parts"), here)
    walk(parts, False)
    text = "\n".join(lines)
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 3] + "..."


def parse(data: bytes, filename: str, known: KnownState, limits: Limits,
          prefix: str | None = None) -> ParsedFile:
    check_upload_size(data, limits)
    parsed = ParsedFile("oscal-catalog")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        raise LimitExceeded(400, f"not a readable JSON file ({problem})") from None
    catalog = document.get("catalog") if isinstance(document, dict) else None
    if not isinstance(catalog, dict):
        parsed.issues.append(error(filename, None, None, None,
                                   "not an OSCAL catalog: the JSON has no 'catalog' object "
                                   "(OSCAL profiles, component definitions and mapping "
                                   "collections are not imported)"))
        return parsed
    metadata = catalog.get("metadata") or {}
    title = str(metadata.get("title") or "OSCAL catalog")
    prefix = (prefix or prefix_from_title(title)).lower()
    if not SHORT_ID.match(f"{prefix}:x"):
        parsed.issues.append(error(filename, None, None, prefix,
                                   "the id prefix must be lower-case letters, digits and "
                                   "hyphens, starting with a letter"))
        return parsed
    framework_id = f"fw:{prefix}"
    publisher = next((party.get("name") for party in metadata.get("parties") or []
                      if isinstance(party, dict) and party.get("name")), None)
    fields = {"title": title, "jurisdiction": "ORG"}  # a catalog says nothing of jurisdiction
    if publisher:
        fields["publisher"] = str(publisher)
    parsed.entries.append(Entry("framework", framework_id, fields, filename, None))
    parsed.declared_frameworks.add(framework_id)
    count = 0

    def add(node: dict[str, Any], path: str, parent: str | None, is_group: bool) -> None:
        nonlocal count
        node_id = node.get("id")
        short_id = None
        if node_id:
            short_id = f"{prefix}:{node_id}"
            if not SHORT_ID.match(short_id):
                parsed.issues.append(error(filename, None, None, str(node_id),
                                           f"{path}: id {node_id!r} cannot be a short id"))
                return
            count += 1
            fields: dict[str, Any] = {
                "title": str(node.get("title") or node_id),
                "framework": framework_id, "kind": "control",
                "citation": _prop(node, "label") or str(node_id),
            }
            summary = _prose(node.get("parts"))
            if summary:
                fields["summary"] = summary
            if parent:
                fields["part_of"] = parent
            if (_prop(node, "status") or "").lower() == "withdrawn":
                fields["legal_status"] = "repealed"
            parsed.entries.append(Entry("requirement", short_id, fields, filename, None,
                                        {"id": path}))
        elif not is_group:
            parsed.issues.append(error(filename, None, None, None,
                                       f"{path}: a control without an id"))
            return
        for index, group in enumerate(node.get("groups") or []):
            if isinstance(group, dict):
                add(group, f"{path}.groups[{index}]", short_id or parent, True)
        for index, control in enumerate(node.get("controls") or []):
            if isinstance(control, dict):
                add(control, f"{path}.controls[{index}]", short_id or parent, False)

    for index, group in enumerate(catalog.get("groups") or []):
        if isinstance(group, dict):
            add(group, f"catalog.groups[{index}]", None, True)
    for index, control in enumerate(catalog.get("controls") or []):
        if isinstance(control, dict):
            add(control, f"catalog.controls[{index}]", None, False)
    parsed.rows_read = count
    if count == 0:
        parsed.issues.append(warning(filename, None, None, None,
                                     "the catalog holds no controls"))
    return parsed
