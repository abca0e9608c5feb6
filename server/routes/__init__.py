"""Thin HTTP handlers: parse, authorize, call the store, answer."""
