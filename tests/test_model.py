"""The model read from the store is the same however many graphs repeat a triple."""

from __future__ import annotations

from pathlib import Path

from crossgate.graph.model import load_model
from crossgate.graph.store import EmbeddedStore

CG = "https://w3id.org/crossgate/ns#"
ID = "https://w3id.org/crossgate/id/"
MAPPING = f"""<{ID}map/m1> a <{CG}Mapping> ; <{CG}source> <{ID}ctrl/A> ; <{CG}target> <{ID}euaia/art-9> ;
  <{CG}relation> <{CG}equal> .
<{CG}equal> <http://www.w3.org/2004/02/skos/core#notation> "equal" .
<{ID}ctrl/A> a <{CG}Control> ; <{CG}shortId> "ctrl:A" ; <{CG}appliesToJurisdiction> "EU" .
"""


def test_a_triple_in_two_graphs_is_read_once(tmp_path: Path) -> None:
    from rdflib import Graph

    nt = Graph().parse(data=MAPPING, format="turtle").serialize(format="nt")
    store = EmbeddedStore(tmp_path / "graph")
    store.commit({"https://example.org/g1": nt, "https://example.org/g2": nt}, "twice")
    model = load_model(store, store.head().number)
    assert len(model.mappings) == 1
    assert model.requirements["ctrl:A"].applicability.jurisdictions == ["EU"]
