"""The console's texts for its admin pages."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {}
