"""Invalid content is refused whole with the SHACL report; the store keeps its revision."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import seeded_store

MAPPING = """@prefix cg: <https://w3id.org/crossgate/ns#> .
@prefix map: <https://w3id.org/crossgate/id/map/> .
@prefix ctrl: <https://w3id.org/crossgate/id/ctrl/> .
@prefix euaia: <https://w3id.org/crossgate/id/euaia/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
map:test-{name} a cg:Mapping ; cg:source ctrl:CHM-002 ; cg:target euaia:art-14 ;
  cg:relation {relation} ; cg:strength {strength} .
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crossgate.cli", *args],
                          capture_output=True, text=True)


def revision(data_dir: Path) -> str:
    out = run("sparql", "SELECT ?n WHERE { GRAPH <https://w3id.org/crossgate/graph/meta> "
              "{ <https://w3id.org/crossgate/ns#head> <https://w3id.org/crossgate/ns#revisionNumber>"
              " ?n } }", "--data-dir", str(data_dir))
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()[1]


def test_invalid_mappings_are_refused_and_valid_ones_load(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(seeded_store(), data)
    before = revision(data)

    too_strong = tmp_path / "too_strong.ttl"
    too_strong.write_text(MAPPING.format(name="a", relation="cg:superset", strength=11))
    refused = run("load", str(too_strong), "--data-dir", str(data))
    assert refused.returncode == 1
    assert "map:test-a" in refused.stderr and "strength" in refused.stderr
    assert "nothing was written" in refused.stderr

    unknown = tmp_path / "unknown.ttl"
    unknown.write_text(MAPPING.format(name="b", relation="cg:kinda_similar", strength=5))
    refused = run("load", str(unknown), "--data-dir", str(data))
    assert refused.returncode == 1 and "map:test-b" in refused.stderr
    assert "relation" in refused.stderr
    assert revision(data) == before

    good = tmp_path / "good.ttl"
    good.write_text(MAPPING.format(name="c", relation="cg:superset", strength=8))
    loaded = run("load", str(good), "--data-dir", str(data))
    assert loaded.returncode == 0, loaded.stderr
    assert int(revision(data)) == int(before) + 1
