"""Everything derived from one graph revision (model and crosswalk), built once per revision."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from crossgate.graph.closure import Crosswalk
from crossgate.graph.coverage import crosswalk_of
from crossgate.graph.model import GraphModel, load_model
from crossgate.graph.store import GraphStore


@dataclass(frozen=True)
class GraphView:
    revision: int
    model: GraphModel
    crosswalk: Crosswalk


class ViewCache:
    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._view: GraphView | None = None

    def head(self) -> GraphView:
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
