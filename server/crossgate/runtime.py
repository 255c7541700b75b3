"""The composition root: settings, graph store, derived views, policies and the ledger.

One Runtime per process. The server opens the store read-write and loads the shipped content;
CLI commands that only read open it read-only so they can run beside a server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property

from crossgate.config import Settings
from crossgate.gate.history import HistoryBook
from crossgate.graph.loader import load_shipped
from crossgate.graph.query_pool import QueryPool
from crossgate.graph.store import EmbeddedStore, GraphStore, open_store
from crossgate.graph.view import GraphView, ViewCache
from crossgate.ledger import Ledger, open_ledger
from crossgate.policy.snapshot import PolicyRuntime, PolicySnapshot


class Runtime:
    def __init__(
        self,
        settings: Settings,
        read_only: bool = False,
        load_content: bool = True,
        progress: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.settings = settings
        self.store: GraphStore = open_store(settings, read_only=read_only)
        self._views = ViewCache(self.store)
        self._lock = threading.Lock()
        if load_content and not read_only:
            load_shipped(self.store, settings.ontology_dir, settings.content_dir, progress)

    def view(self) -> GraphView:
        return self._views.head()

    @cached_property
    def policies(self) -> PolicyRuntime:
        return PolicyRuntime(self.settings)

    def policy(self) -> PolicySnapshot:
        """Policies + data compiled from the head graph revision."""
        return self.policies.current(self.view())

    @cached_property
    def query_pool(self) -> QueryPool | None:
        """Worker processes for callers' SPARQL over the embedded store (started on first use,
        killed at a query's deadline); None for a remote store, which enforces its own."""
        if not isinstance(self.store, EmbeddedStore):
            return None
        return QueryPool(self.store.path, self.settings.sparql_workers,
                         self.settings.sparql_memory_mb)

    @cached_property
    def ledger(self) -> Ledger:
        return open_ledger(self.settings.ledger_url, self.settings.data_path)

    @cached_property
    def history(self) -> HistoryBook:
        """The decision history the lifecycle rules read, folded from the ledger."""
        return HistoryBook(self.ledger)

    def close(self) -> None:
        if "ledger" in self.__dict__:
            self.ledger.close()
        if self.__dict__.get("query_pool") is not None:
            self.query_pool.close()  # type: ignore[union-attr]
        self.store.close()
