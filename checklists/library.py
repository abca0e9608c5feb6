"""The shipped standards library: the checklist files and the default motivation policy."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable

POLICY_FILE = "policy.default.toml"


def library_folder() -> Traversable:
    """The folder of the shipped library."""
    return resources.files("checklists") / "library"


def checklist_files() -> list[Traversable]:
    """The shipped checklist versions (`<id>.v<version>.toml`), in name order."""
    return sorted(
        (f for f in library_folder().iterdir() if f.name.endswith(".toml") and f.name != POLICY_FILE),
        key=lambda f: f.name,
    )


def policy_file() -> Traversable:
    """The default motivation policy."""
    return library_folder() / POLICY_FILE
