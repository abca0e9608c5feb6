"""The console's texts for its dashboards pages."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {}
