"""Administration: users, the audit log, the system page, and one's own password (CONSOLE.md 9)."""

from __future__ import annotations

ROUTES: list = []
