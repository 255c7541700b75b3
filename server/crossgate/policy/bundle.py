"""Policies + data as an OPA bundle (tar.gz with .manifest, data.json and the .rego files).

Bundles are byte-for-byte deterministic (sorted entries, zero mtimes), so the same revisions give
the same ETag, and every bundle a decision used is kept so the decision can be replayed.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossgate.policy.compile import canonical_json, digest

ROOT = "crossgate"


@dataclass(frozen=True)
class Policies:
    files: dict[str, str]  # bundle path (e.g. "deployment/decision.rego") -> Rego source

    @property
    def revision(self) -> str:
        return digest(self.files)


def read_policies(rego_dir: Path) -> Policies:
    """Every .rego under rego_dir except the *_test.rego unit tests."""
    files = {
        str(p.relative_to(rego_dir)): p.read_text()
        for p in sorted(rego_dir.rglob("*.rego"))
        if not p.name.endswith("_test.rego")
    }
    if not files:
        raise FileNotFoundError(f"no Rego policies under {rego_dir}")
    return Policies(files)


def revision_id(policy_revision: str, data_revision: str) -> str:
    return f"{policy_revision[:16]}-{data_revision[:16]}"


def build_bundle(policies: Policies, data: dict[str, Any]) -> bytes:
    data_revision = digest(data)
    manifest = {
        "revision": revision_id(policies.revision, data_revision),
        "roots": [ROOT],
        "metadata": {"policy_revision": policies.revision, "data_revision": data_revision},
    }
    entries = {
        "/.manifest": canonical_json(manifest),
        "/data.json": canonical_json({ROOT: data}),
        **{f"/{path}": text.encode() for path, text in policies.files.items()},
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(entries):
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size = len(entries[name])
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(entries[name]))
    return gzip.compress(raw.getvalue(), mtime=0)


def read_bundle(blob: bytes) -> tuple[Policies, dict[str, Any], dict[str, Any]]:
    """(policies, data document, manifest) from a bundle built by build_bundle."""
    files: dict[str, str] = {}
    data: dict[str, Any] = {}
    manifest: dict[str, Any] = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar.getmembers():
            content = tar.extractfile(member)
            if content is None:
                continue
            body = content.read()
            if member.name == ".manifest":
                manifest = json.loads(body)
            elif member.name == "data.json":
                data = json.loads(body)[ROOT]
            elif member.name.endswith(".rego"):
                files[member.name] = body.decode()
    return Policies(files), data, manifest
