"""Auditor downloads: the evidence pack of one system."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from crossgate import filters as F
from crossgate.api.deps import AUDIT, RuntimeDep, require
from crossgate.api.errors import ApiError
from crossgate.api.routes import ERRORS, attachment, media
from crossgate.audit.evidence_pack import write_evidence_pack
from crossgate.tokens import TokenInfo

router = APIRouter(prefix="/v1/exports", tags=["exports"], responses=ERRORS)
Auditor = Annotated[TokenInfo, Depends(require(*AUDIT))]


@router.get("/evidence-pack", response_class=StreamingResponse,
            responses=media("application/zip", description="the evidence pack (zip)"))
def evidence_pack(
    runtime: RuntimeDep, _: Auditor,
    system: Annotated[str, Query(min_length=1)],
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
) -> StreamingResponse:
    """A zip of the system's decisions, evidence index, approvals and exceptions, policy bundles,
    ledger verification and a sha256 manifest. `from`/`to` must lie between 1678 and 2262."""
    try:
        since, until = F.time_bound(since, "from"), F.time_bound(until, "to")
    except F.OutOfRange as exc:
        raise ApiError(422, str(exc), errors=[exc.as_error()]) from None
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - streamed below
    manifest = write_evidence_pack(spool, runtime.ledger, runtime.settings.bundles_path, system,
                                   since, until)
    if manifest["decisions"] == 0:
        spool.close()
        raise HTTPException(404, f"no recorded decisions for system {system!r} in that period")
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(1 << 16):
                yield block

    return StreamingResponse(chunks(), media_type="application/zip",
                             headers={"Content-Disposition":
                                      attachment(f"evidence-pack-{system}.zip")})
