"""HR's month end: open and closed months, the motivation preview, closing, the snapshot's downloads (CONSOLE.md 7)."""

from __future__ import annotations

ROUTES: list = []
