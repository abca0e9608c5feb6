"""What `tekseru serve` does before it serves: migrate, load the library, and (with --demo) the demo."""

from __future__ import annotations

from checklists.validate import load_checklist
from server.db import Database
from server.settings import Settings
from server.store import checklists as checklist_store


async def load_library(db: Database) -> list[str]:
    """Publish the shipped checklist versions if the database has none; return what was loaded."""
    from checklists.library import checklist_files

    if await checklist_store.count(db) > 0:
        return []
    loaded = []
    for entry in checklist_files():
        version = load_checklist(entry.read_bytes(), "toml", entry.name)
        await checklist_store.publish(db, version)
        loaded.append(version.checklist.ref)
    return loaded


async def prepare(settings: Settings, demo: bool = False) -> list[str]:
    """Migrate, load the library (and the demo organisation); return lines to print."""
    from server.demo import load_demo

    db = await Database.open(settings.db_path)
    try:
        lines = []
        library = await load_library(db)
        if library:
            lines.append(f"loaded the standards library: {', '.join(library)}")
        if demo:
            lines.extend(await load_demo(db, settings))
        return lines
    finally:
        await db.close()
