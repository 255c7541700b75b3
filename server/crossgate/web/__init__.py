"""The browser dashboard: server-rendered pages under /ui for analysts, legal and auditors.

`router` gathers every page group; the app includes it like any API router.
"""

from __future__ import annotations

from fastapi import APIRouter

from crossgate.web import auth, graph_pages, imports, ledger_pages, profile_pages

router = APIRouter(include_in_schema=False)
for _module in (auth, graph_pages, ledger_pages, profile_pages, imports):
    router.include_router(_module.router)
