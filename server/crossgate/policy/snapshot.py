"""The policy side of one graph revision: policies + compiled data, their revisions, the bundle,
and an engine per worker thread. Every bundle a decision used is kept on disk so a decision can
be replayed months later with exactly the policy and data it was made with."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossgate.config import Settings
from crossgate.graph.view import GraphView
from crossgate.policy.bundle import Policies, build_bundle, read_bundle, read_policies, revision_id
from crossgate.policy.compile import compile_data, digest
from crossgate.policy.engines import Engine, EngineError, make_engine


@dataclass(frozen=True)
class PolicySnapshot:
    policies: Policies
    data: dict[str, Any]
    policy_revision: str
    data_revision: str
    bundle: bytes

    @property
    def revision(self) -> str:
        return revision_id(self.policy_revision, self.data_revision)

    @property
    def etag(self) -> str:
        return f'"{self.revision}"'


class PolicyRuntime:
    """Compiles once per graph revision and keeps engines per (policy, data) revision."""

    _KEEP = 8  # engines kept for older revisions (replays)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bundles = settings.bundles_path
        self.bundles.mkdir(parents=True, exist_ok=True)
        self.policies = read_policies(settings.rego_dir)
        self._lock = threading.Lock()
        self._by_graph_revision: dict[int, PolicySnapshot] = {}
        self._engines: OrderedDict[str, Engine] = OrderedDict()

    def current(self, view: GraphView) -> PolicySnapshot:
        snapshot = self._by_graph_revision.get(view.revision)
        if snapshot is not None:
            return snapshot
        with self._lock:
            if view.revision not in self._by_graph_revision:
                data = compile_data(view.model, view.crosswalk)
                snapshot = self._make(self.policies, data)
                self._by_graph_revision = {view.revision: snapshot}
            return self._by_graph_revision[view.revision]

    def _make(self, policies: Policies, data: dict[str, Any]) -> PolicySnapshot:
        data_revision = digest(data)
        bundle = build_bundle(policies, data)
        path = self._bundle_path(policies.revision, data_revision)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(bundle)
            tmp.replace(path)
        return PolicySnapshot(policies, data, policies.revision, data_revision, bundle)

    def _bundle_path(self, policy_revision: str, data_revision: str) -> Path:
        return self.bundles / f"{policy_revision}-{data_revision}.tar.gz"

    def recorded(self, policy_revision: str, data_revision: str) -> PolicySnapshot:
        """The snapshot a past decision named, from its kept bundle."""
        path = self._bundle_path(policy_revision, data_revision)
        if not path.exists():
            raise FileNotFoundError(
                f"no bundle kept for policy {policy_revision[:12]} / data {data_revision[:12]}")
        blob = path.read_bytes()
        policies, data, _manifest = read_bundle(blob)
        if policies.revision != policy_revision or digest(data) != data_revision:
            raise EngineError(f"bundle {path.name} does not match its revisions (tampered?)")
        return PolicySnapshot(policies, data, policy_revision, data_revision, blob)

    def engine(self, snapshot: PolicySnapshot) -> Engine:
        """The engine for a snapshot; in-process engines keep one instance per worker thread."""
        key = snapshot.revision
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                engine = make_engine(
                    self.settings.engine, list(snapshot.policies.files.items()), snapshot.data,
                    opa_url=self.settings.opa_url, timeout_s=self.settings.engine_timeout_s)
                self._engines[key] = engine
                while len(self._engines) > self._KEEP:
                    self._engines.popitem(last=False)
            else:
                self._engines.move_to_end(key)
        return engine
