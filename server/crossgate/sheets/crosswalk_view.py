"""The crosswalk between two frameworks of one graph revision, as the exporters' CrosswalkView.

`crosswalk_view(graph, source, target)` reads a `GraphView` (model and closure of one
revision) and gives:

- the source framework's requirements (matrix rows) and the target framework's (matrix
  columns), in natural id order (art-9 before art-10);
- the authored mappings whose source is in the source framework and whose target is in the
  target framework, with their provenance (mappings running the other way belong to the
  swapped export, as on the dashboard's matrix page);
- the derived mappings: for each source requirement, every target-framework requirement its
  coverage reaches through a chain of two or more mappings (`Crosswalk.reach`, the same
  closure coverage uses), marked derived with the chain as their path. The relation follows
  the coverage the chain passes: a full chain is `equal` when every step is equal, else
  `superset`; a partial chain is `subset` when every step is equal or subset, else
  `intersects`. The strength is the weakest step's, when every step has one;
- coverage rows per source requirement, counted from both.

Nothing here touches a store: the GraphView is already in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime

from crossgate.graph.closure import FULL, PASSES
from crossgate.graph.model import Mapping
from crossgate.graph.view import GraphView
from crossgate.sheets.export_model import (
    RELATIONS,
    CoverageRow,
    CoverageTally,
    CrosswalkMapping,
    CrosswalkView,
    Framework,
    Requirement,
)

# Among parallel mappings of one step, the strongest claim first.
_PREFERENCE = ("equal", "superset", "subset", "intersects")
_DIGITS = re.compile(r"(\d+)")


class UnknownFramework(LookupError):
    """A framework id the graph does not have; `known` lists the ones it has."""

    def __init__(self, framework: str, known: Sequence[str]) -> None:
        super().__init__(f"no framework {framework!r}; known: {', '.join(known)}")
        self.framework = framework
        self.known = list(known)


def natural_key(short_id: str) -> tuple[object, ...]:
    """Sort key reading digit runs as numbers: euaia:art-9 < euaia:art-10."""
    return tuple(int(part) if part.isdigit() else part.casefold()
                 for part in _DIGITS.split(short_id))


def crosswalk_view(graph: GraphView, source: str, target: str, *, derived: bool = True,
                   generated_at: datetime | None = None) -> CrosswalkView:
    """The view of `source` -> `target` (framework ids, fw:...) at the graph's revision.

    Raises UnknownFramework for an id the graph does not have. `derived=False` leaves out the
    derived mappings.
    """
    model = graph.model
    for framework in (source, target):
        if framework not in model.frameworks:
            raise UnknownFramework(framework, sorted(model.frameworks))
    rows = _requirements(graph, source)
    cols = _requirements(graph, target)
    row_ids = {r.id for r in rows}
    col_ids = {r.id for r in cols}
    authored = [m for m in model.mappings if m.source in row_ids and m.target in col_ids]
    inferred = derived_mappings(graph, [r.id for r in rows], col_ids) if derived else []
    tally = CoverageTally()
    for m in authored:
        tally.add(m.source, RELATIONS[m.relation].coverage)
    for d in inferred:
        tally.add(d.source, RELATIONS[d.relation].coverage)
    coverage: list[CoverageRow] = tally.rows(rows)

    def mappings() -> Iterator[CrosswalkMapping]:
        for m in authored:
            yield _authored(m)
        yield from inferred

    return CrosswalkView(
        source=_framework(graph, source), target=_framework(graph, target),
        source_requirements=rows, target_requirements=cols, mappings=mappings(),
        coverage=coverage, revision=str(graph.revision), generated_at=generated_at)


def _framework(graph: GraphView, framework: str) -> Framework:
    title = graph.model.frameworks[framework].get("title") or ""
    return Framework(framework, str(title))


def _requirements(graph: GraphView, framework: str) -> list[Requirement]:
    found = [r for r in graph.model.requirements.values() if r.framework == framework]
    found.sort(key=lambda r: natural_key(r.id))
    return [Requirement(r.id, r.title) for r in found]


def _authored(m: Mapping) -> CrosswalkMapping:
    return CrosswalkMapping(
        source=m.source, target=m.target, relation=m.relation, strength=m.strength,
        rationale=m.rationale or "", rationale_type=m.rationale_type or "",
        author=m.author or "", created=m.created, source_doc=m.source_doc or "",
        import_id=m.import_id or "", sheet=m.sheet or "", row=m.row)


def derived_mappings(graph: GraphView, sources: Sequence[str],
                     targets: set[str]) -> list[CrosswalkMapping]:
    """Mappings the closure derives from each source to the targets through chains of two or
    more mappings, in source order, then target order (see the module docstring)."""
    steps = _best_steps(graph.model.mappings)
    out: list[CrosswalkMapping] = []
    for source in sources:
        reached = graph.crosswalk.reach(source)
        for target in sorted(reached, key=natural_key):
            reach = reached[target]
            if target not in targets or len(reach.path) < 3:
                continue
            chain = [steps[(a, b)] for a, b in zip(reach.path, reach.path[1:], strict=False)]
            out.append(CrosswalkMapping(
                source=source, target=target,
                relation=_compose(reach.coverage, [m.relation for m in chain]),
                strength=_weakest([m.strength for m in chain]),
                rationale="derived from " + "; ".join(
                    f"{m.source} {m.relation} {m.target}" for m in chain),
                derived=True, path=tuple(reach.path)))
    return out


def _best_steps(mappings: Sequence[Mapping]) -> dict[tuple[str, str], Mapping]:
    """Per (source, target) pair, the mapping a path step stands for: the best coverage, then
    the strongest relation, then the highest strength."""
    best: dict[tuple[str, str], Mapping] = {}

    def rank(m: Mapping) -> tuple[int, int]:
        return (_PREFERENCE.index(m.relation), -(m.strength if m.strength is not None else -1))

    for m in mappings:
        if PASSES.get(m.relation) is None:
            continue
        key = (m.source, m.target)
        current = best.get(key)
        if current is None or rank(m) < rank(current):
            best[key] = m
    return best


def _weakest(strengths: Sequence[int | None]) -> int | None:
    """The weakest step's strength, or None when a step has none."""
    known = [s for s in strengths if s is not None]
    return min(known) if known and len(known) == len(strengths) else None


def _compose(coverage: str, relations: Sequence[str]) -> str:
    if coverage == FULL:
        return "equal" if all(r == "equal" for r in relations) else "superset"
    return "subset" if all(r in ("equal", "subset") for r in relations) else "intersects"
