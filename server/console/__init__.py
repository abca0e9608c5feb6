"""The web console: server-rendered pages for office users, at `/` beside the API (CONSOLE.md).

`web` is the frame every page uses (sessions, CSRF, `page`, `redirect`); `auth` signs in and out;
`review` and `visit` are the review queue and the visit page.
"""

from __future__ import annotations

from server.console import auth, review, visit

ROUTES = [*auth.ROUTES, *review.ROUTES, *visit.ROUTES]
