"""Tekseru's server: HTTP, auth, sync, storage and the command line."""
