"""Aggregation, motivation, period snapshots and rendering (pure: data in, data out)."""
