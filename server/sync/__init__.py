"""Offline sync: revisions, the pure merge, quarantine, and the push/pull engine."""
