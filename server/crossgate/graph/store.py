"""The revisioned graph store: one named graph per source, every commit one atomic update.

Two backends share everything above raw SPARQL: `EmbeddedStore` (pyoxigraph on disk, the
default) and `RemoteStore` (any SPARQL 1.1 Protocol server, e.g. `oxigraph serve`, Fuseki).

A commit replaces or drops whole source graphs and switches the revision manifest in the meta
graph within ONE SPARQL update, so readers only ever see whole revisions and a crash leaves
either the old or the new revision (measured in shared/reference/measurements.md: 16/16 kills
survived). The store holds only the head's graphs, so content queries run over the union of all
graphs: naming the graphs one by one as the default graph made the model queries 8x slower at the
shipped size and 100x slower at 10x (bench/results/store.md). Every committed graph version is
also kept, content-addressed, in `snapshots/` so any earlier revision can be restored ("revert").
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyoxigraph as ox

from crossgate.graph import vocab as V

_HEAD = str(V.CG.head)
_MAX_RESULT_BYTES = 512 * 1024 * 1024


class StoreError(RuntimeError):
    pass


class QueryLimitExceeded(StoreError):
    pass


class _BoundedWriter(io.RawIOBase):
    """A sink that stops serialisation (and so lazy evaluation) at a deadline or size cap."""

    def __init__(self, deadline: float, max_bytes: int) -> None:
        self.buffer = bytearray()
        self.deadline = deadline
        self.max_bytes = max_bytes

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) > self.max_bytes:
            raise QueryLimitExceeded(f"the result is larger than {self.max_bytes} bytes")
        if time.monotonic() > self.deadline:
            raise QueryLimitExceeded("the query ran past its time limit")
        return len(data)


class RowLimitExceeded(QueryLimitExceeded):
    def __init__(self, max_rows: int) -> None:
        super().__init__(f"the query returns more than {max_rows} rows; add a LIMIT")
        self.max_rows = max_rows


class StoreConflict(StoreError):
    """The head moved since the revision a change was prepared against."""


class StoreBusy(StoreError):
    """Another process holds the embedded store open for writing."""


@dataclass(frozen=True)
class Revision:
    number: int
    created: str
    message: str
    author: str
    graphs: Mapping[str, str] = field(default_factory=dict)  # graph IRI -> content sha256


@dataclass(frozen=True)
class RawResult:
    body: bytes
    media_type: str


# SPARQL results formats the /sparql endpoint serves, by media type.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def canonical_ntriples(ntriples: str) -> str:
    """Sorted, de-duplicated N-Triples (blank nodes relabelled canonically): the hashed form."""
    triples = list(ox.parse(ntriples.encode(), format=ox.RdfFormat.N_TRIPLES))
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)
           for t in triples):
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        lines = {f"{q.subject} {q.predicate} {q.object} ." for q in dataset}
    else:
        lines = {f"{t} ." for t in triples}
    ordered = sorted(lines)
    return "\n".join(ordered) + ("\n" if ordered else "")


def content_hash(ntriples: str) -> str:
    return hashlib.sha256(canonical_ntriples(ntriples).encode()).hexdigest()


class SnapshotDir:
    """Content-addressed graph versions: snapshots/<sha256>.nt.gz, written before the commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def put(self, sha: str, canonical: str) -> None:
        target = self.path / f"{sha}.nt.gz"
        if target.exists():
            return
        tmp = target.with_suffix(".tmp")
        with open(tmp, "wb") as raw:
            # Level 1: about 4x faster than the default on N-Triples, for a few % more bytes.
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=1) as gz:
                gz.write(canonical.encode())
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)

    def get(self, sha: str) -> str:
        target = self.path / f"{sha}.nt.gz"
        if not target.exists():
            raise StoreError(f"graph version {sha[:12]} is missing from {self.path}")
        return gzip.decompress(target.read_bytes()).decode()


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid SPARQL string literal


class GraphStore(ABC):
    """Revisioned named-graph store over SPARQL. Subclasses supply the raw SPARQL calls."""

    # Whether head() may be remembered between commits: true when this object is the only
    # writer (the embedded store; RocksDB allows one), false for a shared SPARQL server.
    _cache_head = False

    def __init__(self, snapshots: SnapshotDir) -> None:
        self.snapshots = snapshots
        self._write_lock = threading.Lock()
        self._head: Revision | None = None

    # -- raw SPARQL, per backend -------------------------------------------------------------
    @abstractmethod
    def select(self, sparql: str) -> list[dict[str, str]]:
        """SELECT over the union of the content graphs; values are lexical forms."""

    @abstractmethod
    def query_bounded(self, sparql: str, deadline: float, max_rows: int) -> RawResult:
        """Any query form as SPARQL-results JSON (SELECT/ASK) or N-Triples (CONSTRUCT/DESCRIBE),
        stopped with QueryLimitExceeded past the monotonic `deadline` or RowLimitExceeded past
        `max_rows` solutions or triples."""

    @abstractmethod
    def _update(self, sparql: str) -> None:
        """One SPARQL update, applied atomically."""

    @abstractmethod
    def graph_ntriples(self, graph: str) -> str:
        """The head revision's content of one source graph, as N-Triples."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    # -- revisions ---------------------------------------------------------------------------
    def head(self) -> Revision:
        cached = self._head
        if cached is not None:
            return cached
        head = self._read_head()
        if self._cache_head:
            self._head = head
        return head

    def _read_head(self) -> Revision:
        rows = self._meta_select(
            f"SELECT ?n WHERE {{ GRAPH <{V.META_GRAPH}> {{ <{_HEAD}> <{V.REVISION_NUMBER}> ?n }} }}"
        )
        if not rows:
            return Revision(0, "", "empty store", "", {})
        return self.revision(int(rows[0]["n"]))

    def revision(self, number: int) -> Revision:
        iri = self._revision_iri(number)
        meta = self._meta_select(
            f"""SELECT ?created ?message ?author WHERE {{ GRAPH <{V.META_GRAPH}> {{
                <{iri}> <{V.CREATED}> ?created ; <{V.MESSAGE}> ?message ; <{V.AUTHOR}> ?author }} }}"""
        )
        if not meta:
            raise StoreError(f"no revision {number}")
        states = self._meta_select(
            f"""SELECT ?g ?sha WHERE {{ GRAPH <{V.META_GRAPH}> {{
                <{iri}> <{V.REVISION_OF_GRAPH}> ?s . ?s <{V.GRAPH_P}> ?g ; <{V.SHA256}> ?sha }} }}"""
        )
        return Revision(
            number,
            meta[0]["created"],
            meta[0]["message"],
            meta[0]["author"],
            {row["g"]: row["sha"] for row in states},
        )

    def content_graphs(self) -> list[str]:
        """The source graphs of the head revision."""
        return sorted(self.head().graphs)

    def version_ntriples(self, graph: str, sha: str) -> str:
        """Any committed version of a source graph (history, diffs, revert)."""
        return self.snapshots.get(sha)

    def graphs_holding(self, subjects: Iterable[str]) -> set[str]:
        """The source graphs of the head revision that say something about these subjects."""
        out: set[str] = set()
        ordered = sorted(set(subjects))
        for start in range(0, len(ordered), 500):
            values = " ".join(f"<{s}>" for s in ordered[start:start + 500])
            rows = self._meta_select(
                f"SELECT DISTINCT ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
            out.update(row["g"] for row in rows if row["g"] != V.META_GRAPH)
        return out

    def history(self) -> list[Revision]:
        return [self.revision(n) for n in range(self.head().number, 0, -1)]

    def shipped_source_hash(self, graph: str) -> str | None:
        rows = self._meta_select(
            f"SELECT ?h WHERE {{ GRAPH <{V.META_GRAPH}> {{ <{graph}> <{V.CG.loadedFromSha}> ?h }} }}"
        )
        return rows[0]["h"] if rows else None

    def commit(
        self,
        changes: Mapping[str, str | None],
        message: str,
        author: str = "crossgate",
        loaded_from: Mapping[str, str] | None = None,
        expected_head: int | None = None,
    ) -> Revision:
        """Replace (N-Triples text) or drop (None) source graphs as one new revision.

        `loaded_from` records, per graph, the hash of the source file it was loaded from, so a
        shipped file is reloaded only when the file itself changed. With `expected_head`, the
        commit is refused (StoreConflict) if another commit landed since that revision.
        """
        with self._write_lock:
            head = self.head()
            if expected_head is not None and head.number != expected_head:
                raise StoreConflict(f"the graph changed since revision {expected_head} "
                                    f"(now {head.number})")
            graphs = dict(head.graphs)
            ops: list[str] = []
            for graph, ntriples in changes.items():
                if graph == V.META_GRAPH:
                    raise StoreError("the meta graph is not writable")
                ops.append(f"DROP SILENT GRAPH <{graph}>")
                if ntriples is None:
                    graphs.pop(graph, None)
                    continue
                canonical = canonical_ntriples(ntriples)
                sha = hashlib.sha256(canonical.encode()).hexdigest()
                self.snapshots.put(sha, canonical)
                graphs[graph] = sha
                if canonical:
                    ops.append(f"INSERT DATA {{ GRAPH <{graph}> {{\n{canonical}}} }}")
            number = head.number + 1
            ops.append(self._revision_update(number, graphs, message, author, loaded_from or {}))
            self._head = None
            self._update(" ;\n".join(ops))
            return self.head()

    def revert_to(self, number: int, message: str, author: str) -> Revision:
        """Make revision `number`'s graphs current again, as a new revision."""
        target = self.revision(number)
        current = self.head().graphs
        changes: dict[str, str | None] = {g: None for g in current if g not in target.graphs}
        for graph, sha in target.graphs.items():
            if current.get(graph) != sha:
                changes[graph] = self.snapshots.get(sha)
        return self.commit(changes, message, author)

    # -- helpers -----------------------------------------------------------------------------
    @abstractmethod
    def _meta_select(self, sparql: str) -> list[dict[str, str]]:
        """SELECT over the whole dataset (for GRAPH <meta> queries), not the content union."""

    @staticmethod
    def _revision_iri(number: int) -> str:
        return f"{V.GRAPH_BASE}meta/revision/{number}"

    def _revision_update(
        self,
        number: int,
        graphs: Mapping[str, str],
        message: str,
        author: str,
        loaded_from: Mapping[str, str],
    ) -> str:
        iri = self._revision_iri(number)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        lines = [
            f"<{_HEAD}> <{V.REVISION_NUMBER}> {number} .",
            f"<{iri}> a <{V.REVISION}> ; <{V.REVISION_NUMBER}> {number} ;",
            f"  <{V.CREATED}> {_literal(now)} ; <{V.MESSAGE}> {_literal(message)} ;",
            f"  <{V.AUTHOR}> {_literal(author)} .",
        ]
        for i, (graph, sha) in enumerate(sorted(graphs.items())):
            state = f"{iri}/graph/{i}"
            lines.append(f"<{iri}> <{V.REVISION_OF_GRAPH}> <{state}> .")
            lines.append(f"<{state}> <{V.GRAPH_P}> <{graph}> ; <{V.SHA256}> {_literal(sha)} .")
        for graph, sha in loaded_from.items():
            lines.append(f"<{graph}> <{V.CG.loadedFromSha}> {_literal(sha)} .")
        deletes = [
            f"DELETE WHERE {{ GRAPH <{V.META_GRAPH}> {{ <{_HEAD}> <{V.REVISION_NUMBER}> ?n }} }}"
        ]
        deletes += [
            f"DELETE WHERE {{ GRAPH <{V.META_GRAPH}> {{ <{g}> <{V.CG.loadedFromSha}> ?h }} }}"
            for g in loaded_from
        ]
        insert = f"INSERT DATA {{ GRAPH <{V.META_GRAPH}> {{\n" + "\n".join(lines) + "\n} }"
        return " ;\n".join([*deletes, insert])


class EmbeddedStore(GraphStore):
    """pyoxigraph on disk. One process opens it read-write; others may open it read-only (and
    see the store as it was when they opened it)."""

    _cache_head = True

    def __init__(self, path: Path, read_only: bool = False,
                 snapshots: SnapshotDir | None = None) -> None:
        super().__init__(snapshots or SnapshotDir(path.parent / "snapshots"))
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.read_only = read_only
        self._store = self._open(path)

    def _open(self, path: Path) -> ox.Store:
        if not self.read_only:
            try:
                return ox.Store(str(path))
            except OSError as exc:
                if "lock" in str(exc).lower():
                    raise StoreBusy(
                        f"the graph store at {path} is open in another process (a running "
                        "`crossgate serve`?): stop it, or send the command to the server"
                    ) from exc
                raise
        # A read-only open beside a live writer can race with a compaction that removes a file
        # the manifest still names; opening again sees the new manifest.
        for attempt in range(10):
            try:
                return ox.Store.read_only(str(path))
            except (OSError, RuntimeError):
                if attempt == 9:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _query(self, sparql: str):
        return self._store.query(sparql, use_default_graph_as_union=True)

    def _meta_select(self, sparql: str) -> list[dict[str, str]]:
        return self._rows(self._store.query(sparql))

    def select(self, sparql: str) -> list[dict[str, str]]:
        return self._rows(self._query(sparql))

    @staticmethod
    def _rows(solutions) -> list[dict[str, str]]:
        if not isinstance(solutions, ox.QuerySolutions):
            raise StoreError("select() needs a SELECT query")
        names = [v.value for v in solutions.variables]
        out = []
        for solution in solutions:
            row = {}
            for name in names:
                term = solution[name]
                if term is not None:
                    row[name] = term.value
            out.append(row)
        return out

    def query_bounded(self, sparql: str, deadline: float, max_rows: int) -> RawResult:
        # Count lazily first (evaluation stops at max_rows + 1), then evaluate again to serialise:
        # a query within the limits pays twice, one past them is stopped early.
        counted = self._query(sparql)
        if not isinstance(counted, ox.QueryBoolean):
            for n, _row in enumerate(counted, start=1):
                if n > max_rows:
                    raise RowLimitExceeded(max_rows)
                if n % 256 == 0 and time.monotonic() > deadline:
                    raise QueryLimitExceeded("the query ran past its time limit")
        result = self._query(sparql)
        sink = _BoundedWriter(deadline, _MAX_RESULT_BYTES)
        if isinstance(result, ox.QueryTriples):
            result.serialize(sink, format=ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
            return RawResult(bytes(sink.buffer), "application/n-triples")
        result.serialize(sink, format=ox.QueryResultsFormat.JSON)
        return RawResult(bytes(sink.buffer), "application/sparql-results+json")

    def _update(self, sparql: str) -> None:
        if self.read_only:
            raise StoreError("the store is open read-only")
        self._store.update(sparql)

    def graph_ntriples(self, graph: str) -> str:
        quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()

    def close(self) -> None:
        if not self.read_only:
            self._store.flush()
        del self._store


class RemoteStore(GraphStore):
    """A SPARQL 1.1 Protocol server. Queries name every content graph as a default graph
    (`default-graph-uri`), so the server needs no union-default-graph setting."""

    def __init__(
        self,
        query_url: str,
        update_url: str | None,
        snapshots: SnapshotDir,
        timeout_s: float = 30.0,
    ) -> None:
        super().__init__(snapshots)
        self.query_url = query_url
        self.update_url = update_url or query_url
        self._client = httpx.Client(timeout=timeout_s)

    def _post_query(
        self, sparql: str, accept: str, default_graphs: list[str] | None = None
    ) -> RawResult:
        graphs = self.content_graphs() if default_graphs is None else default_graphs
        data = {"query": sparql, "default-graph-uri": graphs}
        try:
            response = self._client.post(self.query_url, data=data, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server {self.query_url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise StoreError(f"SPARQL server answered {response.status_code}: {response.text[:500]}")
        media = response.headers.get("content-type", accept).split(";")[0]
        return RawResult(response.content, media)

    def select(self, sparql: str) -> list[dict[str, str]]:
        return self._bindings(self._post_query(sparql, "application/sparql-results+json"))

    def _meta_select(self, sparql: str) -> list[dict[str, str]]:
        # No dataset parameters: the server's own dataset, where GRAPH <meta> is visible.
        raw = self._post_query(sparql, "application/sparql-results+json", default_graphs=[])
        return self._bindings(raw)

    @staticmethod
    def _bindings(raw: RawResult) -> list[dict[str, str]]:
        bindings = json.loads(raw.body)["results"]["bindings"]
        return [{k: v["value"] for k, v in b.items()} for b in bindings]

    def query_bounded(self, sparql: str, deadline: float, max_rows: int) -> RawResult:
        data = {"query": sparql, "default-graph-uri": self.content_graphs()}
        accept = "application/sparql-results+json, application/n-triples;q=0.9"
        sink = _BoundedWriter(deadline, _MAX_RESULT_BYTES)
        timeout = max(0.1, deadline - time.monotonic())
        try:
            with self._client.stream("POST", self.query_url, data=data,
                                     headers={"Accept": accept}, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise StoreError(f"SPARQL server answered {response.status_code}: "
                                     f"{response.text[:500]}")
                for chunk in response.iter_bytes():
                    sink.write(chunk)
                media = response.headers.get("content-type", accept).split(";")[0]
        except httpx.TimeoutException as exc:
            raise QueryLimitExceeded("the query ran past its time limit") from exc
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server {self.query_url} unreachable: {exc}") from exc
        raw = RawResult(bytes(sink.buffer), media)
        rows = (raw.body.count(b"\n") if media == "application/n-triples"
                else len(json.loads(raw.body).get("results", {}).get("bindings", [])))
        if rows > max_rows:
            raise RowLimitExceeded(max_rows)
        return raw

    def _update(self, sparql: str) -> None:
        try:
            response = self._client.post(self.update_url, data={"update": sparql})
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server {self.update_url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise StoreError(f"SPARQL update refused ({response.status_code}): {response.text[:500]}")

    def graph_ntriples(self, graph: str) -> str:
        raw = self._post_query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
            "application/n-triples",
            default_graphs=[],
        )
        return raw.body.decode()

    def close(self) -> None:
        self._client.close()


def open_store(settings, read_only: bool = False) -> GraphStore:
    """The store the settings name: remote when CROSSGATE_SPARQL_URL is set, else embedded."""
    snapshots = SnapshotDir(settings.data_path / "snapshots")
    if settings.sparql_url:
        return RemoteStore(settings.sparql_url, settings.sparql_update_url, snapshots)
    return EmbeddedStore(settings.store_path, read_only=read_only, snapshots=snapshots)
