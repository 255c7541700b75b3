"""SHACL validation of a batch of triples before it is committed.

Measured (shared/reference/measurements.md): validating only the batch gives false violations for
references into the store, and validating the whole graph is slow. So the data graph is the batch
plus the ontology plus the rdf:type of every node the batch references, and only violations whose
focus node is defined in the batch are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from crossgate.graph import vocab as V
from crossgate.graph.ids import try_short_id
from crossgate.graph.store import GraphStore

_TYPE_CHUNK = 500


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    message: str
    value: str | None = None
    severity: str = "Violation"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "focus": try_short_id(self.focus),
            "path": self.path,
            "value": self.value,
            "message": self.message,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        value = f" (value {self.value})" if self.value is not None else ""
        return f"{try_short_id(self.focus)}{where}: {self.message}{value}"


class ValidationFailed(ValueError):
    def __init__(self, violations: list[Violation], source: str = "") -> None:
        self.violations = violations
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  - {v}" for v in violations[:50])
        more = f"\n  ... and {len(violations) - 50} more" if len(violations) > 50 else ""
        super().__init__(f"{head}{len(violations)} SHACL violation(s), nothing was written:\n"
                         f"{lines}{more}")


@lru_cache(maxsize=4)
def load_shapes(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@lru_cache(maxsize=4)
def load_ontology(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


_CURIES = {str(V.CG): "cg:", str(V.DCTERMS): "dcterms:", str(V.SKOS): "skos:",
           str(V.PROV): "prov:", str(V.RDF): "rdf:", str(V.RDFS): "rdfs:"}


def _curie(iri: str) -> str:
    for base, prefix in _CURIES.items():
        if iri.startswith(base):
            return prefix + iri[len(base):]
    return try_short_id(iri)


def _referenced_types(batch: Graph, store: GraphStore | None) -> Graph:
    extra = Graph()
    if store is None:
        return extra
    defined = set(batch.subjects())
    refs = sorted({o for o in batch.objects() if isinstance(o, URIRef) and o not in defined})
    for i in range(0, len(refs), _TYPE_CHUNK):
        values = " ".join(f"<{r}>" for r in refs[i : i + _TYPE_CHUNK])
        for row in store.select(f"SELECT ?x ?t WHERE {{ VALUES ?x {{ {values} }} ?x a ?t }}"):
            extra.add((URIRef(row["x"]), RDF.type, URIRef(row["t"])))
    return extra


def validate_batch(
    batch: Graph,
    shapes_path: Path,
    ontology_path: Path,
    store: GraphStore | None = None,
) -> list[Violation]:
    """Violations of the shapes by the batch's own nodes (empty list = conforms)."""
    data = Graph()
    for graph in (batch, load_ontology(ontology_path), _referenced_types(batch, store)):
        for triple in graph:
            data.add(triple)
    _conforms, report, _text = shacl_validate(
        data, shacl_graph=load_shapes(shapes_path), inference="none", allow_warnings=True
    )
    sh = V.SH
    batch_nodes = set(batch.subjects())
    violations = []
    for result in report.subjects(RDF.type, sh.ValidationResult):
        focus = report.value(result, sh.focusNode)
        if focus not in batch_nodes:
            continue
        severity = report.value(result, sh.resultSeverity)
        path = report.value(result, sh.resultPath)
        value = report.value(result, sh.value)
        violations.append(
            Violation(
                focus=str(focus),
                path=_curie(str(path)) if path is not None else None,
                message=str(report.value(result, sh.resultMessage) or "constraint violated"),
                value=str(value) if value is not None else None,
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return [v for v in violations if v.severity == "Violation"] + [
        v for v in violations if v.severity != "Violation"
    ]


def blocking(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity == "Violation"]
