"""The web console: server-rendered pages for office users, at `/` beside the API (CONSOLE.md).

`web` is the frame every page uses (sessions, CSRF, `page`, `redirect`); `auth` signs in and out;
`review` and `visit` are the review queue and the visit page; `dashboards`, `periods`,
`scorecards`, `admin` and `directory` are the rest of CONSOLE.md's pages; `my` is the unit
manager's home and appeal form, `appeals` the quality lead's appeals queue and decision page;
`integrity` the signals that question visits, and the pages per auditor; `plans` drafts,
publishes and follows the month's assignment plans.
"""

from __future__ import annotations

from server.console import (
    admin,
    appeals,
    auth,
    calibration,
    dashboards,
    directory,
    integrity,
    my,
    periods,
    plans,
    review,
    scorecards,
    visit,
)

ROUTES = [
    *auth.ROUTES,
    *review.ROUTES,
    *visit.ROUTES,
    *dashboards.ROUTES,
    *periods.ROUTES,
    *scorecards.ROUTES,
    *admin.ROUTES,
    *directory.ROUTES,
    *appeals.ROUTES,
    *calibration.ROUTES,
    *integrity.ROUTES,
    *plans.ROUTES,
    *my.ROUTES,
]
