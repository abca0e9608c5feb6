"""Integrity: the pure readings behind the flags (a photo's hash and capture time, a comment's likeness)."""
