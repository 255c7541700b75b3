"""Settings: environment variables CROSSGATE_* and a data directory.

Every command that touches local state resolves its data directory here, so the CLI, the server
and the tests agree on where the graph store, tokens, ledger and bundles live.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSGATE_", extra="ignore")

    data_dir: Path = Field(default=Path(".crossgate"))
    # Remote SPARQL 1.1 store instead of the embedded one (query URL, and update URL if separate).
    sparql_url: str | None = None
    sparql_update_url: str | None = None
    # Rego engine: "regorus" (default, in-process), "regopy" (in-process) or "opa" (remote).
    engine: str = "regorus"
    opa_url: str | None = None
    engine_timeout_s: float = 2.0
    # Ledger: SQLite in the data directory unless a PostgreSQL URL is given.
    ledger_url: str | None = None
    # Content shipped with the product, loaded on first start.
    content_dir: Path = REPO_ROOT / "crosswalks"
    ontology_dir: Path = REPO_ROOT / "ontology"
    rego_dir: Path = REPO_ROOT / "rego"
    # SPARQL endpoint limits.
    sparql_timeout_s: float = 10.0
    sparql_max_rows: int = 10_000
    # Queries over the embedded store run in worker processes, killed at the time limit.
    sparql_workers: int = 2  # queries evaluated at once
    sparql_queue: int = 8  # queries waiting for a worker; past that 503 with Retry-After
    sparql_memory_mb: int = 1024  # address space one query may add to its worker
    # SERVICE endpoints a federated query may call: comma-separated exact IRIs (none by default).
    sparql_service_allow: str = ""
    # Largest JSON (or other non-upload) request body, in bytes; larger is 413 before parsing.
    max_json_bytes: int = 5 * 1024 * 1024
    # Upload limits for imports.
    max_upload_bytes: int = 20 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_rows: int = 200_000
    max_cells: int = 5_000_000

    @cached_property
    def data_path(self) -> Path:
        path = self.data_dir.expanduser().resolve()
        if not path.exists():
            # Tokens, decisions and evidence live here: readable by the server's user only
            # (the CLI also sets a umask of 077, so the files inside are 0600).
            path.mkdir(parents=True, mode=0o700)
            path.chmod(0o700)
        return path

    @property
    def sparql_service_allowlist(self) -> frozenset[str]:
        return frozenset(i.strip() for i in self.sparql_service_allow.split(",") if i.strip())

    @property
    def store_path(self) -> Path:
        return self.data_path / "graph"

    @property
    def tokens_path(self) -> Path:
        return self.data_path / "tokens.sqlite"

    @property
    def ledger_path(self) -> Path:
        return self.data_path / "ledger.sqlite"

    @property
    def bundles_path(self) -> Path:
        return self.data_path / "bundles"


def load_settings(data_dir: Path | None = None) -> Settings:
    """Settings from the environment, with an explicit --data-dir taking precedence."""
    if data_dir is not None:
        return Settings(data_dir=data_dir)
    return Settings()
