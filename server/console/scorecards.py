"""Scorecards: drafts built as a background job, preview, publishing, the published list and its ZIP (CONSOLE.md 8)."""

from __future__ import annotations

ROUTES: list = []
