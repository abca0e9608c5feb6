"""The dashboards: the network page with its heat map, a unit, a staff member, a standard (CONSOLE.md 4-6)."""

from __future__ import annotations

ROUTES: list = []
