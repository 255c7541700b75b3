"""Official schemas the tests validate against, fetched once from a package registry and cached.

SARIF 2.1.0: the RTM schema as Microsoft's SARIF SDK ships it in the npm package
@microsoft/jest-sarif (`lib/schemas/sarif-2.1.0-rtm.5.json`), fetched with `npm pack`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

SARIF_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crossgate-tests"


def sarif_schema() -> dict[str, Any]:
    cached = CACHE / "sarif-2.1.0-rtm.5.json"
    if not cached.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed once to fetch the SARIF 2.1.0 schema (./dev.sh test installs it)")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([npm, "pack", SARIF_PACKAGE, "--silent", "--pack-destination", tmp],
                           check=True, capture_output=True, timeout=300)
            (tarball,) = Path(tmp).glob("*.tgz")
            with tarfile.open(tarball) as archive:
                member = archive.extractfile(SARIF_MEMBER)
                assert member is not None, f"{SARIF_PACKAGE} has no {SARIF_MEMBER}"
                schema = member.read()
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(schema)
    return json.loads(cached.read_text())
