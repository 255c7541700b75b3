from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from crossgate.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    revision: int


@router.get("/healthz", response_model=Health)
def healthz(runtime: RuntimeDep) -> dict[str, object]:
    """Liveness and the graph revision; needs no token."""
    return {"status": "ok", "revision": runtime.store.head().number}
