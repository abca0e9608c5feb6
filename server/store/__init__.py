"""Async functions that each hold their own SQL, one module per area."""
