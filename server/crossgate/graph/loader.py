"""Loading Turtle content into the store: the shipped ontology and crosswalks, or any file.

Every load is SHACL-validated first and refused whole on a violation, so the store stays at its
previous revision. Shipped files are reloaded only when the file changed since it was last loaded
(an import may have edited a shipped graph since; that edit must survive a restart).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from crossgate.graph import vocab as V
from crossgate.graph.store import GraphStore, Revision
from crossgate.graph.validate import ValidationFailed, blocking, validate_batch

SHAPES_FILE = "shapes.ttl"
ONTOLOGY_FILE = "crossgate.ttl"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    graph: str
    sha256: str


def shipped_graph_iri(path: Path) -> str:
    return f"{V.GRAPH_BASE}shipped/{path.stem}"


def shipped_files(ontology_dir: Path, content_dir: Path) -> list[SourceFile]:
    files = [ontology_dir / ONTOLOGY_FILE, *sorted(content_dir.glob("*.ttl"))]
    out = []
    for path in files:
        if not path.exists():
            raise FileNotFoundError(f"shipped content file missing: {path}")
        graph = V.ONTOLOGY_GRAPH if path.name == ONTOLOGY_FILE else shipped_graph_iri(path)
        out.append(SourceFile(path, graph, hashlib.sha256(path.read_bytes()).hexdigest()))
    return out


def parse_turtle(path: Path) -> Graph:
    try:
        return Graph().parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several parser exception types
        raise ValueError(f"{path}: not valid Turtle: {exc}") from exc


def load_shipped(
    store: GraphStore,
    ontology_dir: Path,
    content_dir: Path,
    progress: Callable[[str], None] = lambda _msg: None,
) -> Revision | None:
    """Load shipped files that changed since their last load, as one revision (None if none)."""
    files = shipped_files(ontology_dir, content_dir)
    changed = [f for f in files if store.shipped_source_hash(f.graph) != f.sha256]
    if not changed:
        return None
    progress(f"loading {len(changed)} shipped file(s): " + ", ".join(f.path.name for f in changed))
    # Validate the whole shipped set together: files reference each other's nodes.
    batch = Graph()
    parsed = {}
    for f in files:
        parsed[f.graph] = graph = parse_turtle(f.path)
        batch += graph
    violations = blocking(
        validate_batch(batch, ontology_dir / SHAPES_FILE, ontology_dir / ONTOLOGY_FILE, store)
    )
    if violations:
        raise ValidationFailed(violations, "shipped content")
    changes: dict[str, str | None] = {
        f.graph: parsed[f.graph].serialize(format="nt") for f in changed
    }
    revision = store.commit(
        changes,
        message="shipped content: " + ", ".join(f.path.name for f in changed),
        author="crossgate",
        loaded_from={f.graph: f.sha256 for f in changed},
    )
    progress(f"graph at revision {revision.number} ({len(batch)} shipped triples)")
    return revision


def load_file(
    store: GraphStore, path: Path, graph: str, ontology_dir: Path, author: str
) -> Revision:
    """Validate one Turtle file and make it the whole content of `graph`, as a new revision."""
    batch = parse_turtle(path)
    violations = blocking(
        validate_batch(batch, ontology_dir / SHAPES_FILE, ontology_dir / ONTOLOGY_FILE, store)
    )
    if violations:
        raise ValidationFailed(violations, str(path))
    return store.commit({graph: batch.serialize(format="nt")}, f"load {path.name}", author)
