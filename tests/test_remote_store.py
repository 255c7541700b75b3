"""The same store contract over a real SPARQL 1.1 server (`oxigraph serve` on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crossgate.graph.sparql import SparqlError, run_query
from crossgate.graph.store import RemoteStore, SnapshotDir
from tests.conftest import free_port
from tests.listener import recording_endpoint
from tests.procstat import cpu_seconds

EX = "http://example.org/"


@pytest.fixture()
def oxigraph_server(tmp_path: Path) -> Iterator[str]:
    beside = Path(sys.executable).with_name("oxigraph")  # the venv's bin/ may not be on PATH
    binary = str(beside) if beside.exists() else shutil.which("oxigraph")
    if binary is None:
        pytest.skip("the `oxigraph` server (PyPI package oxigraph) is not installed")
    port = free_port()
    # --timeout-s: the server stops a query crossgate gave up on (it would run on otherwise)
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path / "ox"),
                             "--bind", f"127.0.0.1:{port}", "--timeout-s", "5"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_remote_store_revisions_and_queries(oxigraph_server: str, tmp_path: Path) -> None:
    store = RemoteStore(oxigraph_server + "/query", oxigraph_server + "/update",
                        SnapshotDir(tmp_path / "snapshots"))
    assert store.head().number == 0
    store.commit({f"{EX}g1": f'<{EX}a> <{EX}p> "1" .\n'}, "one", "alice")
    store.commit({f"{EX}g2": f'<{EX}b> <{EX}p> "2" .\n'}, "two", "bob")
    rows = store.select(f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?o")
    assert [r["o"] for r in rows] == ["1", "2"]  # union of the content graphs, no server setting
    store.commit({f"{EX}g1": None}, "drop one")
    assert [r["o"] for r in store.select(f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}")] == ["2"]
    reverted = store.revert_to(2, "undo", "carol")
    assert reverted.graphs == store.revision(2).graphs
    assert "1" in store.graph_ntriples(f"{EX}g1")
    raw = run_query(store, f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}", "text/csv", 5, 100)
    assert raw.media_type.startswith("text/csv") and b"1" in raw.body
    with pytest.raises(SparqlError) as too_many:
        run_query(store, f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}", None, 5, 1)
    assert too_many.value.status == 413
    store.close()


def test_remote_store_refuses_service_unless_allowed(oxigraph_server: str, tmp_path: Path) -> None:
    store = RemoteStore(oxigraph_server + "/query", oxigraph_server + "/update",
                        SnapshotDir(tmp_path / "snapshots"))
    store.commit({f"{EX}g1": f'<{EX}a> <{EX}p> "1" .\n'}, "one", "alice")
    with recording_endpoint() as listener:
        other, allowed = f"{listener.url}/other", f"{listener.url}/allowed"
        for query in (f"SELECT * WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ SERVICE SILENT <{other}> {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ BIND(<{other}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
                      f"SELECT * {{ {{ SELECT * {{ SERVICE <{other}> {{ ?s ?p ?o }} }} }} }}"):
            with pytest.raises(SparqlError) as refused:
                run_query(store, query, None, 5, 100, allowed_services=frozenset({allowed}))
            assert refused.value.status == 400 and "SERVICE" in refused.value.message
        assert listener.requests == []  # nothing reached the endpoint, through the remote server
        raw = run_query(store, f"SELECT ?x WHERE {{ SERVICE <{allowed}> {{ ?x ?p ?o }} }}",
                        None, 5, 100, allowed_services=frozenset({allowed}))
        assert b"from the listener" in raw.body
        assert {path for _m, path in listener.requests} == {"/allowed"}
    store.close()


def test_remote_runaway_query_leaves_nothing_running_here(oxigraph_server: str,
                                                         tmp_path: Path) -> None:
    store = RemoteStore(oxigraph_server + "/query", oxigraph_server + "/update",
                        SnapshotDir(tmp_path / "snapshots"))
    triples = "".join(f'<{EX}s{i}> <{EX}p> "{i}" .\n' for i in range(300))
    store.commit({f"{EX}g1": triples}, "many", "alice")
    threads = threading.active_count()
    with pytest.raises(SparqlError) as stopped:
        run_query(store, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i",
                  None, 1, 100)
    assert stopped.value.status == 503 and "time limit" in stopped.value.message
    assert threading.active_count() == threads  # no thread left waiting on the remote
    before = cpu_seconds([os.getpid()])  # this process only: `oxigraph serve` is a child
    time.sleep(1)
    assert cpu_seconds([os.getpid()]) - before < 0.2
    store.close()
