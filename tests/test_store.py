"""The revisioned store on a real on-disk pyoxigraph: commits, atomicity, revert, read-only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crossgate.graph.store import EmbeddedStore, StoreBusy, content_hash

EX = "http://example.org/"


def nt(*triples: tuple[str, str, str]) -> str:
    return "".join(f"<{EX}{s}> <{EX}{p}> \"{o}\" .\n" for s, p, o in triples)


def open_store(path: Path, read_only: bool = False) -> EmbeddedStore:
    return EmbeddedStore(path / "graph", read_only=read_only)


def test_commits_make_revisions_and_revert_restores(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert store.head().number == 0
    r1 = store.commit({f"{EX}g1": nt(("a", "p", "1"))}, "one", "alice")
    r2 = store.commit({f"{EX}g2": nt(("b", "p", "2"))}, "two", "bob")
    r3 = store.commit({f"{EX}g1": nt(("a", "p", "changed")), f"{EX}g2": None}, "three")
    assert [r1.number, r2.number, r3.number] == [1, 2, 3]
    assert set(r2.graphs) == {f"{EX}g1", f"{EX}g2"}
    assert set(r3.graphs) == {f"{EX}g1"}
    assert [row["o"] for row in store.select(f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}")] == ["changed"]

    r4 = store.revert_to(2, "undo three", "carol")
    assert r4.number == 4 and r4.graphs == r2.graphs
    values = sorted(row["o"] for row in store.select(f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}"))
    assert values == ["1", "2"]
    assert [r.number for r in store.history()] == [4, 3, 2, 1]
    assert store.revision(1).author == "alice"


def test_same_content_same_hash_regardless_of_order(tmp_path: Path) -> None:
    a = nt(("a", "p", "1"), ("b", "p", "2"))
    b = nt(("b", "p", "2"), ("a", "p", "1"))
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(nt(("a", "p", "1")))


def test_failed_update_leaves_previous_revision(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.commit({f"{EX}g1": nt(("a", "p", "1"))}, "one")
    with pytest.raises(Exception):  # noqa: B017 - any parser error
        store.commit({f"{EX}g1": "this is not n-triples"}, "broken")
    assert store.head().number == 1
    assert len(store.select(f"SELECT * WHERE {{ ?s <{EX}p> ?o }}")) == 1


def test_second_writer_is_refused_but_reader_sees_committed(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.commit({f"{EX}g1": nt(("a", "p", "1"))}, "one")
    with pytest.raises(StoreBusy):
        open_store(tmp_path)
    reader = open_store(tmp_path, read_only=True)
    assert reader.head().number == 1
    reader.close()
    store.close()


def test_survives_kill_during_commits(tmp_path: Path) -> None:
    """A process killed while committing leaves a store at some whole revision."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from crossgate.graph.store import EmbeddedStore
        p = Path(sys.argv[1])
        s = EmbeddedStore(p / "graph")
        n = 0
        while True:
            n += 1
            body = "".join(f'<{EX}s{{i}}> <{EX}rev> "{{n}}" .\\n' for i in range(2000))
            s.commit({{"{EX}g": body}}, f"rev {{n}}")
            print(n, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for _ in range(3):
        proc.stdout.readline()
    proc.kill()
    proc.wait()
    store = open_store(tmp_path)
    head = store.head().number
    assert head >= 3
    values = {row["o"] for row in store.select(f"SELECT ?o WHERE {{ ?s <{EX}rev> ?o }}")}
    count = len(store.select(f"SELECT ?s WHERE {{ ?s <{EX}rev> ?o }}"))
    assert values == {str(head)} and count == 2000


def test_every_version_is_kept_for_revert(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    r1 = store.commit({f"{EX}g": nt(("a", "p", "1"))}, "one")
    store.commit({f"{EX}g": nt(("a", "p", "2"))}, "two")
    assert '"1"' in store.version_ntriples(f"{EX}g", r1.graphs[f"{EX}g"])
    assert store.graphs_holding([f"{EX}a", f"{EX}zzz"]) == {f"{EX}g"}


def test_expected_head_refuses_a_stale_commit(tmp_path: Path) -> None:
    from crossgate.graph.store import StoreConflict

    store = open_store(tmp_path)
    store.commit({f"{EX}g": nt(("a", "p", "1"))}, "one")
    with pytest.raises(StoreConflict):
        store.commit({f"{EX}g": nt(("a", "p", "2"))}, "stale", expected_head=0)
    assert store.head().number == 1
