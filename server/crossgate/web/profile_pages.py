"""Gate profile pages: what each gate holds a release to, as the graph's profile data says it
(items by tier, approvals, thresholds and minimums, stages, change types, jurisdiction rules).
An analyst changes any of it by import; this page shows the current revision's values."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crossgate.web.common import GRAPH_PAGES, Session, UIRoute, error_page, page, render, runtime_of

router = APIRouter(route_class=UIRoute, include_in_schema=False)
Reader = Annotated[Session, Depends(page(*GRAPH_PAGES))]


def _item_table(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per profile item: its tier, title, and where stages and change types keep it."""
    stages = profile.get("stages") or []
    kinds = profile.get("change_types") or {}
    rows = []
    for spec in profile.get("items") or []:
        item = spec["item"]
        rows.append({
            **spec,
            "stages": {s["name"]: s.get("items") is None or item in s["items"] for s in stages},
            "change_types": {name: rule.get("items") is None or item in rule["items"]
                             for name, rule in kinds.items()},
        })
    tiers = list(profile.get("tiers") or [])
    rows.sort(key=lambda r: (tiers.index(r["min_tier"]) if r["min_tier"] in tiers else 99,
                             r["item"]))
    return rows


@router.get("/ui/profiles")
def profiles(request: Request, session: Reader) -> Response:
    view = runtime_of(request).view()
    return render(request, "profiles.html", session=session, active="profiles",
                  profiles=view.model.profiles, chosen=None, gate=None)


@router.get("/ui/profiles/{gate}")
def profile(gate: str, request: Request, session: Reader) -> Response:
    view = runtime_of(request).view()
    chosen = view.model.profiles.get(gate)
    if chosen is None:
        raise error_page(request, 404, "Not found",
                         f"No gate profile {gate!r}; the graph has "
                         f"{', '.join(sorted(view.model.profiles)) or 'none'}.", session)
    kinds: dict[str, Any] = chosen.get("change_types") or {}  # type: ignore[assignment]
    return render(request, "profiles.html", session=session, active="profiles",
                  profiles=view.model.profiles, chosen=chosen, gate=gate,
                  items=_item_table(chosen), kinds=sorted(kinds.items()))
