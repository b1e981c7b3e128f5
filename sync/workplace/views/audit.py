"""The audit page: for each kiosk that sent an audit chain of on-behalf actions, whether the chain
is intact (no gaps, rewrites, reordering or unsigned heads), with its problems in plain words.

Shown to the head of office, who answers for on-behalf filings and reads the access log, and to
IT, for whom a broken chain is a sign of a tampered or failing kiosk. The chain holds ids only,
never what an application says, so IT may see it; clerks have no duty here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.i18n import N_
from sync.assistance.audit_check import check_audit
from sync.workplace.app import Workplace, bind, needs
from sync.workplace.areas import Area, register_area


@needs("audit.view")
def audit_page(wp: Workplace, request: Request) -> Response:
    lang = wp.lang(request)
    places = wp.accounts.kiosk_places()
    audits = check_audit(wp.config.townhall_dir, wp.inbox(request).allowlist)
    rows = [
        {"kiosk": audit.kiosk_id, "place": places.get(audit.kiosk_id, ""), "entries": audit.entries,
         "intact": audit.intact, "problems": audit.problem_texts(lang)}
        for audit in audits
    ]
    return wp.render(request, "audit.html", rows=rows, broken=sum(1 for row in rows if not row["intact"]))


def routes(wp: Workplace) -> list[Any]:
    return [Route("/audit", bind(wp, audit_page), methods=["GET"])]


register_area(Area("audit", N_("Audit trail"), "/audit", "audit.view", routes, order=60))
