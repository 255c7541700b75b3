"""N copies of the shipped crosswalk content, for bench/store_bench.py.

    python bench/scale_content.py --copies 10 --out /tmp/scaled     # writes content-10.{nq,nt,json}

Every crosswalks/*.ttl file is copied N times. In copy k (k >= 1) every crossgate id IRI
(https://w3id.org/crossgate/id/...) gets "-x<k>" appended to its local part, every cg:shortId
literal gets the same suffix (so `to_short_id(iri) == shortId` still holds) and every blank node
is renamed, so copies never collide while the references inside a copy stay intact. Copy 0 is
the shipped content unchanged. Vocabulary IRIs (cg:, dcterms:, the relation individuals) are
not rewritten: the ontology is loaded once, not copied.

A few bridge mappings join copy k to copy k-1 (same shape and kinds as a shipped mapping, source
in copy k, target in copy k-1), so the graph is one connected piece rather than N islands, and
mapping paths cross copies.

Named graphs follow the loader: copy 0 of crosswalks/foo.ttl is
https://w3id.org/crossgate/graph/shipped/foo, copy k is .../shipped/foo-x<k>; the bridges of
copy k sit in .../shipped/bridges-x<k>; the ontology in .../graph/ontology. So N copies of F
files are N*F named graphs, as N imports of the same size would be.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "server"))

from crossgate.graph import vocab as V  # noqa: E402
from crossgate.graph.ids import ID_BASE  # noqa: E402
from crossgate.graph.loader import shipped_graph_iri  # noqa: E402

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SHORT_ID = ox.NamedNode(str(V.SHORT_ID))
SOURCE = ox.NamedNode(str(V.SOURCE))
TARGET = ox.NamedNode(str(V.TARGET))
MAPPING = ox.NamedNode(str(V.MAPPING))
OBLIGATION = ox.NamedNode(str(V.OBLIGATION))
BRIDGES_PER_COPY = 3


@dataclass
class Scaled:
    """What store_bench.py needs to know about one scaled data set."""

    copies: int
    nquads: str  # all graphs, ontology included
    ntriples: str  # the same triples without graph names (for rdflib's plain Graph)
    files: list[str]
    graphs: int
    ontology_triples: int
    content_triples_per_copy: int
    bridge_triples: int
    total_triples: int
    lookup_id: str  # shortId of one obligation in the middle copy
    path_start: str  # IRI a mapping path starts from (in the last copy, a bridge source)
    graph_iris: list[str] = field(default_factory=list)


def suffix(k: int) -> str:
    return f"-x{k}" if k else ""


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal, sfx: str, bsfx: str):  # type: ignore[no-untyped-def]
    if isinstance(term, ox.NamedNode):
        return ox.NamedNode(term.value + sfx) if sfx and term.value.startswith(ID_BASE) else term
    if isinstance(term, ox.BlankNode):
        return ox.BlankNode(term.value + bsfx) if bsfx else term
    return term


def _copy_triple(t: ox.Triple, k: int, ssfx: str | None = None, osfx: str | None = None,
                 tag: str = "") -> ox.Triple:
    """Triple `t` in copy k. `ssfx`/`osfx` override the suffix of subject/object."""
    sfx = suffix(k)
    bsfx = f"x{k}{tag}" if (k or tag) else ""
    s = _term(t.subject, sfx if ssfx is None else ssfx, bsfx)
    o = t.object
    if t.predicate == SHORT_ID and isinstance(o, ox.Literal):
        add = sfx if ssfx is None else ssfx
        o = ox.Literal(o.value + add, datatype=o.datatype) if add else o
    else:
        o = _term(o, sfx if osfx is None else osfx, bsfx)
    return ox.Triple(s, t.predicate, o)


def read_content(content_dir: Path) -> dict[str, list[ox.Triple]]:
    out: dict[str, list[ox.Triple]] = {}
    for path in sorted(content_dir.glob("*.ttl")):
        # One parse per file, as the loader does: blank node ids are fresh per parse.
        out[path.stem] = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE,
                                       base_iri=path.resolve().as_uri()))
    return out


def _reach(edges: dict[str, set[str]], start: str) -> int:
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt in edges.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return len(seen)


def _choose(triples: list[ox.Triple]) -> tuple[list[str], str | None]:
    """Bridge templates (mapping IRIs) and an obligation's shortId for the lookup probe.

    The first template is a mapping from the node with the most mapping-reachable nodes, so a
    path query from its copy in the last copy walks that copy's largest reach and then, through
    the bridge, on into the copy below."""
    by_subject: dict[ox.Term, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(t)
    mappings: list[tuple[str, str, str]] = []
    obligations: list[str] = []
    for subject, ts in by_subject.items():
        types = {t.object for t in ts if t.predicate == RDF_TYPE}
        if MAPPING in types:
            src = next((t.object.value for t in ts if t.predicate == SOURCE), None)
            tgt = next((t.object.value for t in ts if t.predicate == TARGET), None)
            if src and tgt and src.startswith(ID_BASE) and tgt.startswith(ID_BASE):
                mappings.append((subject.value, src, tgt))
        if OBLIGATION in types:
            obligations += [t.object.value for t in ts if t.predicate == SHORT_ID]
    edges: dict[str, set[str]] = defaultdict(set)
    for _m, src, tgt in mappings:
        edges[src].add(tgt)
    mappings.sort()
    templates: list[str] = []
    if mappings:
        best = max(sorted(edges), key=lambda n: _reach(edges, n))
        templates.append(next(m for m, src, _t in mappings if src == best))
        step = max(1, len(mappings) // BRIDGES_PER_COPY)
        for m, _s, _t in mappings[::step]:
            if len(templates) < BRIDGES_PER_COPY and m not in templates:
                templates.append(m)
    return templates, (sorted(obligations)[len(obligations) // 2] if obligations else None)


def _bridge(triples_by_subject: dict[ox.Term, list[ox.Triple]], template: str,
            k: int) -> Iterator[ox.Triple]:
    """A copy of mapping `template` (and its blank-node closure) from copy k to copy k-1."""
    own = f"{suffix(k)}-bridge"
    todo: list[ox.Term] = [ox.NamedNode(template)]
    seen: set[ox.Term] = set()
    while todo:
        subject = todo.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for t in triples_by_subject.get(subject, ()):
            if isinstance(t.object, ox.BlankNode):
                todo.append(t.object)
            if t.predicate == SOURCE:
                yield _copy_triple(t, k, ssfx=own, osfx=suffix(k), tag="b")
            elif t.predicate == TARGET:
                yield _copy_triple(t, k, ssfx=own, osfx=suffix(k - 1), tag="b")
            else:
                yield _copy_triple(t, k, ssfx=own, osfx=suffix(k), tag="b")


def scale(content_dir: Path, ontology_file: Path, copies: int, out_dir: Path) -> Scaled:
    content = read_content(content_dir)
    if not content:
        raise SystemExit(f"no *.ttl files in {content_dir}: nothing to scale")
    ontology = list(ox.parse(path=str(ontology_file), format=ox.RdfFormat.TURTLE,
                             base_iri=ontology_file.resolve().as_uri()))
    all_triples = [t for ts in content.values() for t in ts]
    templates, lookup = _choose(all_triples)
    by_subject: dict[ox.Term, list[ox.Triple]] = defaultdict(list)
    for t in all_triples:
        by_subject[t.subject].append(t)

    graph_iris: list[str] = [V.ONTOLOGY_GRAPH]
    counts = {"bridge": 0}

    def quads() -> Iterator[ox.Quad]:
        onto = ox.NamedNode(V.ONTOLOGY_GRAPH)
        for t in ontology:
            yield ox.Quad(t.subject, t.predicate, t.object, onto)
        for k in range(copies):
            for stem, ts in content.items():
                g = shipped_graph_iri(Path(stem + suffix(k)))
                graph_iris.append(g)
                gn = ox.NamedNode(g)
                for t in ts:
                    c = _copy_triple(t, k)
                    yield ox.Quad(c.subject, c.predicate, c.object, gn)
            if k:
                g = shipped_graph_iri(Path(f"bridges{suffix(k)}"))
                graph_iris.append(g)
                gn = ox.NamedNode(g)
                for template in templates:
                    for c in _bridge(by_subject, template, k):
                        counts["bridge"] += 1
                        yield ox.Quad(c.subject, c.predicate, c.object, gn)

    out_dir.mkdir(parents=True, exist_ok=True)
    nq = out_dir / f"content-{copies}.nq"
    nt = out_dir / f"content-{copies}.nt"
    ox.serialize(quads(), output=str(nq), format=ox.RdfFormat.N_QUADS)
    ox.serialize(_triples(ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS)), output=str(nt),
                 format=ox.RdfFormat.N_TRIPLES)
    per_copy = len(all_triples)
    last = copies - 1
    path_start = ""
    if templates:
        src = next(t.object.value for t in by_subject[ox.NamedNode(templates[0])]
                   if t.predicate == SOURCE)
        path_start = src + suffix(last)
    info = Scaled(
        copies=copies, nquads=str(nq), ntriples=str(nt), files=sorted(content),
        graphs=len(graph_iris), ontology_triples=len(ontology),
        content_triples_per_copy=per_copy, bridge_triples=counts["bridge"],
        total_triples=len(ontology) + per_copy * copies + counts["bridge"],
        lookup_id=(lookup or "") + suffix(copies // 2), path_start=path_start,
        graph_iris=graph_iris,
    )
    (out_dir / f"content-{copies}.json").write_text(json.dumps(asdict(info), indent=1))
    return info


def _triples(quads: Iterable[ox.Quad]) -> Iterator[ox.Triple]:
    for q in quads:
        yield ox.Triple(q.subject, q.predicate, q.object)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--content", type=Path, default=REPO / "crosswalks")
    parser.add_argument("--ontology", type=Path, default=REPO / "ontology" / "crossgate.ttl")
    args = parser.parse_args()
    info = scale(args.content, args.ontology, args.copies, args.out)
    print(json.dumps({k: v for k, v in asdict(info).items() if k != "graph_iris"}, indent=1))


if __name__ == "__main__":
    main()
