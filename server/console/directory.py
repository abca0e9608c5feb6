"""Administration: the directory (units, staff, assignments, CSV import), checklists and policies (CONSOLE.md 9)."""

from __future__ import annotations

ROUTES: list = []
