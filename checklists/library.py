"""The shipped standards library: the checklist files, the default motivation policy and an example plan policy."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable

POLICY_FILE = "policy.default.toml"
PLAN_EXAMPLE_FILE = "plan.example.toml"


def library_folder() -> Traversable:
    """The folder of the shipped library."""
    return resources.files("checklists") / "library"


def checklist_files() -> list[Traversable]:
    """The shipped checklist versions (`<id>.v<version>.toml`), in name order."""
    return sorted(
        (
            f
            for f in library_folder().iterdir()
            if f.name.endswith(".toml") and f.name not in (POLICY_FILE, PLAN_EXAMPLE_FILE)
        ),
        key=lambda f: f.name,
    )


def policy_file() -> Traversable:
    """The default motivation policy."""
    return library_folder() / POLICY_FILE


def plan_example_file() -> Traversable:
    """The example plan policy (a month's assignment plan), documented line by line."""
    return library_folder() / PLAN_EXAMPLE_FILE
