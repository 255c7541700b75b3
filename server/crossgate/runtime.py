"""The running product's state: settings, graph store, and what is derived per revision.

One Runtime per process. The server opens the store read-write and loads the shipped content;
CLI commands that only read open it read-only so they can run beside a server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from crossgate.config import Settings
from crossgate.graph.closure import Crosswalk
from crossgate.graph.coverage import crosswalk_of
from crossgate.graph.loader import load_shipped
from crossgate.graph.model import GraphModel, load_model
from crossgate.graph.store import GraphStore, open_store


@dataclass(frozen=True)
class GraphView:
    """Everything derived from one revision, computed once and shared read-only."""

    revision: int
    model: GraphModel
    crosswalk: Crosswalk


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
        self._lock = threading.Lock()
        self._view: GraphView | None = None
        if load_content and not read_only:
            load_shipped(self.store, settings.ontology_dir, settings.content_dir, progress)

    def view(self) -> GraphView:
        """The head revision's view (rebuilt only when the revision changed)."""
        head = self.store.head().number
        view = self._view
        if view is not None and view.revision == head:
            return view
        with self._lock:
            if self._view is None or self._view.revision != head:
                model = load_model(self.store, head)
                self._view = GraphView(head, model, crosswalk_of(model))
            return self._view

    def close(self) -> None:
        self.store.close()
