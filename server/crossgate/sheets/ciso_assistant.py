"""CISO Assistant v2 library workbooks (intuitem's convert_library_v2 layout).

Such a workbook has a `library_meta` sheet and, per object, an `<object>_meta` sheet of
key/value rows (with a `type` key) and an `<object>_content` sheet with a header row:

- type `framework`: meta keys urn, ref_id, name, description, base_urn; content columns
  assessable, depth, ref_id, name, description (and urn_id to force a node's URN). Imported as
  a framework whose requirements form a tree (depth gives each node's parent).
- type `requirement_mapping_set`: meta keys source_framework_urn, target_framework_urn,
  source_node_base_urn, target_node_base_urn; content columns source_node_id, target_node_id,
  relationship, rationale, strength_of_relationship. Imported as mappings. Its optional
  `source` / `target` sheets (node_id, assessable, urn, ref_id, name, description, as written
  by prepare_mapping_v2) describe the two frameworks; they are imported when the graph does
  not know that framework yet.

Ids: a framework's prefix is the last segment of its node base URN, made a valid prefix
(`urn:intuitem:risk:req_node:iso42001-2023` -> `iso42001-2023`), unless prefix_map says
otherwise; its id is `fw:<prefix>`. A node's local id is its URN suffix, which is what a
mapping set's node ids are: the ref_id lower-cased, accents removed, spaces as hyphens
(`A.6.2.8` -> `iso42001-2023:a.6.2.8`). The ref_id as written is kept as the citation.
Other object types (threats, reference controls, risk matrices, ...) are reported and skipped.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from crossgate.sheets import aliases, values
from crossgate.sheets.model import Entry, KnownState, ParsedFile, mapping_id
from crossgate.sheets.reader import RawSheet, Table, find_table
from crossgate.sheets.validate import error, warning
from crossgate.sheets.workbook import ReadOptions, read_table

LIBRARY_META = "library_meta"
# Frameworks a library brings get this jurisdiction code (the graph needs one; a library says
# nothing about where its framework applies). Change it afterwards with a frameworks sheet.
NON_STATUTORY = "ORG"
_URN_SUFFIX_ALLOWED = re.compile(r"[^a-z0-9_\-.\[\]():]")
_PREFIX_ALLOWED = re.compile(r"[^a-z0-9-]+")


def is_library(sheets: list[RawSheet]) -> bool:
    return any(sheet.name.strip().lower() == LIBRARY_META for sheet in sheets)


def urn_suffix(ref_id: str) -> str:
    """A node's URN suffix from its ref_id, as CISO Assistant cleans it."""
    ascii_text = unicodedata.normalize("NFKD", ref_id).encode("ascii", "ignore").decode()
    return _URN_SUFFIX_ALLOWED.sub("_", ascii_text.strip().lower().replace(" ", "-"))


def prefix_from_urn(urn: str) -> str:
    """`urn:intuitem:risk:req_node:iso42001-2023` -> `iso42001-2023` (a valid id prefix)."""
    last = urn.strip().rstrip(":").split(":")[-1].lower()
    prefix = _PREFIX_ALLOWED.sub("-", last).strip("-")
    if not prefix or not prefix[0].isalpha():
        prefix = "x-" + prefix
    return prefix


def _key_values(sheet: RawSheet) -> dict[str, str]:
    result: dict[str, str] = {}
    for row in sheet.rows:
        if not row or values.is_blank(row[0]):
            continue
        key = values.text(row[0]).lower()
        value = values.text(row[1]) if len(row) > 1 else ""
        result.setdefault(key, value)
    return result


def parse(sheets: list[RawSheet], known: KnownState, prefix_map: dict[str, str]) -> ParsedFile:
    by_name = {sheet.name.strip().lower(): sheet for sheet in sheets}
    metas = {name[: -len("_meta")]: _key_values(sheet) for name, sheet in by_name.items()
             if name.endswith("_meta") and name != LIBRARY_META}
    library = _key_values(by_name[LIBRARY_META])
    types = {meta.get("type", "") for meta in metas.values()}
    kind = ("ciso-assistant-mapping" if "requirement_mapping_set" in types
            else "ciso-assistant-framework")
    parsed = ParsedFile(kind)

    def prefix_for(base_urn: str) -> str:
        derived = prefix_from_urn(base_urn)
        return prefix_map.get(base_urn, prefix_map.get(derived, derived))

    for name, meta in metas.items():
        content = by_name.get(f"{name}_content")
        object_type = meta.get("type", "")
        sheet_name = f"{name}_meta"
        if object_type == "framework":
            if content is None:
                parsed.issues.append(error(sheet_name, None, None, None,
                                           f"framework sheet {name}_content is missing"))
                continue
            _framework(meta, library, content, prefix_for, parsed)
        elif object_type == "requirement_mapping_set":
            if content is None:
                parsed.issues.append(error(sheet_name, None, None, None,
                                           f"mapping sheet {name}_content is missing"))
                continue
            _mapping_set(meta, content, by_name, prefix_for, known, parsed)
        else:
            parsed.issues.append(warning(sheet_name, None, None, object_type or None,
                                         f"object type {object_type or '(none)'!r} is not "
                                         "imported (crossgate reads frameworks and "
                                         "requirement mapping sets)"))
    if not parsed.entries and not parsed.issues:
        parsed.issues.append(error(LIBRARY_META, None, None, None,
                                   "the library holds no framework and no requirement "
                                   "mapping set"))
    return parsed


def _header(sheet: RawSheet) -> tuple[int, dict[str, int]]:
    """Header row index and lower-cased column name -> index (translations like name[fr]
    are left out)."""
    for index, row in enumerate(sheet.rows[:10]):
        names = {values.text(v).strip().lower(): col for col, v in enumerate(row)
                 if not values.is_blank(v)}
        if "ref_id" in names or "depth" in names or "node_id" in names:
            return index, names
    return 0, {}


def _framework(meta: dict[str, str], library: dict[str, str], content: RawSheet,
               prefix_for, parsed: ParsedFile) -> None:
    base_urn = meta.get("base_urn") or meta.get("urn", "")
    if not base_urn:
        parsed.issues.append(error(content.name, None, None, None,
                                   "the framework has neither base_urn nor urn"))
        return
    prefix = prefix_for(base_urn)
    framework_id = f"fw:{prefix}"
    described = {"title": meta.get("name") or meta.get("ref_id") or prefix,
                 "summary": meta.get("description") or None,
                 "publisher": library.get("provider") or None,
                 "jurisdiction": NON_STATUTORY}
    parsed.entries.append(Entry("framework", framework_id,
                                {k: v for k, v in described.items() if v}, content.name, None))
    parsed.declared_frameworks.add(framework_id)
    header_row, columns = _header(content)
    if "depth" not in columns or "ref_id" not in columns:
        missing = [name for name in ("depth", "ref_id") if name not in columns]
        for name in missing:
            parsed.issues.append(error(content.name, header_row + 1, None, None,
                                       f"required column {name!r} is missing"))
        return
    stack: list[str | None] = []  # stack[d - 1]: the node id at depth d on the current branch
    for index in range(header_row + 1, len(content.rows)):
        row = content.rows[index]

        def cell(name: str, row: list[Any] = row) -> Any:
            col = columns.get(name)
            return row[col] if col is not None and col < len(row) else ""
        if all(values.is_blank(v) for v in row):
            continue
        parsed.rows_read += 1
        try:
            depth = values.integer(cell("depth"), 1, 50)
        except values.BadValue as problem:
            parsed.issues.append(error(content.name, index + 1,
                                       values.column_letter(columns["depth"]),
                                       values.text(cell("depth")), f"depth: {problem}"))
            continue
        ref_id = values.text(cell("ref_id"))
        urn_id = values.text(cell("urn_id")) if "urn_id" in columns else ""
        local = urn_id or (urn_suffix(ref_id) if ref_id else "")
        del stack[depth - 1:]
        stack.extend([None] * (depth - 1 - len(stack)))
        parent = next((node for node in reversed(stack) if node), None)
        if not local:
            stack.append(None)  # a heading without ref_id: its children hang on its parent
            continue
        short_id = f"{prefix}:{local}"
        stack.append(short_id)
        name = values.text(cell("name"))
        fields: dict[str, Any] = {
            "title": name or ref_id, "summary": values.text(cell("description")) or None,
            "framework": framework_id, "kind": "control", "citation": ref_id or None,
            "part_of": parent}
        parsed.entries.append(Entry(
            "requirement", short_id, {k: v for k, v in fields.items() if v is not None},
            content.name, index + 1,
            {name: values.column_letter(columns[name]) for name in ("ref_id", "name",
                                                                     "description")
             if name in columns} | {"id": values.column_letter(columns["ref_id"])}))


def _mapping_set(meta: dict[str, str], content: RawSheet, by_name: dict[str, RawSheet],
                 prefix_for, known: KnownState, parsed: ParsedFile) -> None:
    ends = {}
    for side in ("source", "target"):
        base_urn = meta.get(f"{side}_node_base_urn") or meta.get(f"{side}_framework_urn", "")
        if not base_urn:
            parsed.issues.append(error(content.name.replace("_content", "_meta"), None, None,
                                       None, f"{side}_node_base_urn is missing"))
            return
        ends[side] = (prefix_for(base_urn), base_urn)
    source_prefix, target_prefix = ends["source"][0], ends["target"][0]
    parsed.declared_pairs.add((f"fw:{source_prefix}", f"fw:{target_prefix}"))
    for side, (prefix, base_urn) in ends.items():
        sheet = by_name.get(side)
        if sheet is not None and f"fw:{prefix}" not in known.frameworks:
            _framework_from_side_sheet(sheet, prefix, base_urn, meta, side, parsed)
    found = find_table(content, ("mappings",))
    if not isinstance(found, Table):
        missing = found.missing if found is not None else list(
            aliases.REQUIRED_FIELDS["mappings"])
        for name in missing:
            parsed.issues.append(error(content.name, None, None, None,
                                       f"required column {name!r} is missing (expected "
                                       "source_node_id, target_node_id, relationship)"))
        return
    options = ReadOptions(source_prefix=source_prefix, target_prefix=target_prefix,
                          always_prefix=True)
    first = len(parsed.entries)
    read_table(found, known, options, parsed)
    _match_case(parsed, first, known)


def _match_case(parsed: ParsedFile, first: int, known: KnownState) -> None:
    """Node ids are lower-case URN suffixes; when a library is landed on a framework the graph
    already has (prefix_map), `iso42001:a.6.2.8` means the graph's `iso42001:A.6.2.8`."""
    defined = {e.id for e in parsed.entries if e.kind == "requirement"}
    lower = known.lower_index()
    for index in range(first, len(parsed.entries)):
        entry = parsed.entries[index]
        if entry.kind != "mapping":
            continue
        fields = dict(entry.fields)
        for name in ("source", "target"):
            value = fields[name]
            if value not in defined and not known.has(value) and value.lower() in lower:
                fields[name] = lower[value.lower()]
        if fields != entry.fields:
            parsed.entries[index] = Entry("mapping", mapping_id(fields["source"],
                                                                fields["target"]),
                                          fields, entry.sheet, entry.row, entry.columns)


def _framework_from_side_sheet(sheet: RawSheet, prefix: str, base_urn: str,
                               meta: dict[str, str], side: str, parsed: ParsedFile) -> None:
    header_row, columns = _header(sheet)
    if "urn" not in columns and "node_id" not in columns:
        return
    framework_id = f"fw:{prefix}"
    title = meta.get(f"{side}_framework_urn", "").split(":")[-1] or prefix
    parsed.entries.append(Entry("framework", framework_id,
                                {"title": title, "jurisdiction": NON_STATUTORY}, sheet.name,
                                None))
    node_prefix = base_urn.rstrip(":") + ":"
    for index in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[index]

        def cell(name: str, row: list[Any] = row) -> str:
            col = columns.get(name)
            return values.text(row[col]) if col is not None and col < len(row) else ""
        urn = cell("urn")
        local = urn[len(node_prefix):] if urn.startswith(node_prefix) else cell("node_id")
        if not local:
            continue
        ref_id = cell("ref_id")
        fields = {"title": cell("name") or ref_id or local,
                  "summary": cell("description") or None, "framework": framework_id,
                  "kind": "control", "citation": ref_id or None}
        parsed.entries.append(Entry("requirement", f"{prefix}:{local}",
                                    {k: v for k, v in fields.items() if v is not None},
                                    sheet.name, index + 1))
