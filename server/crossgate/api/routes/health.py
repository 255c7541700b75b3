from fastapi import APIRouter

from crossgate.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(runtime: RuntimeDep) -> dict[str, object]:
    """Liveness and the graph revision; needs no token."""
    return {"status": "ok", "revision": runtime.store.head().number}
