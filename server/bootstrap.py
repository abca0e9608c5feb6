"""A store made ready to serve: migrated, the shipped library and policy loaded, and (with --demo) the demo."""

from __future__ import annotations

import contextlib

from checklists.validate import load_checklist
from server.auth import LOCAL_ADMIN, new_token, token_prefix
from server.db import Database, open_database
from server.files import write_private
from server.local_admin import ADMIN_TOKEN_FILE
from server.settings import Settings
from server.store import checklists as checklist_store
from server.store import users as users_store


async def load_library(db: Database) -> list[str]:
    """Publish the shipped checklist versions if the database has none; return what was loaded."""
    from checklists.library import checklist_files

    if await db.read(checklist_store.count) > 0:
        return []
    loaded = []
    for entry in checklist_files():
        version = load_checklist(entry.read_bytes(), "toml", entry.name)
        await db.write(checklist_store.publish, version)
        loaded.append(version.checklist.ref)
    return loaded


async def load_default_policy(db: Database) -> str | None:
    """Publish the shipped motivation policy if the database has none; return its ref."""
    from checklists.library import policy_file
    from reports.policy import load_policy
    from server.store import policies as policy_store

    if await db.read(policy_store.latest_row) is not None:
        return None
    entry = policy_file()
    loaded = load_policy(entry.read_bytes(), "toml", entry.name)
    await db.write(policy_store.publish, loaded)
    return f"{loaded.policy.id}@{loaded.policy.version}"


async def make_local_admin(db: Database, settings: Settings) -> None:
    """A fresh local admin credential, for the `tekseru` command on this machine (`<data dir>/admin.token`).

    SQLite's one server revokes every earlier one. On PostgreSQL other hosts keep theirs, and only
    this data directory's last credential is revoked; `tekseru serve --workers N` makes it once, in
    the supervising process, and its server processes leave it alone (`local_admin` false).
    """
    token, prefix, hashed = new_token()
    only = None
    if db.kind == "postgresql":
        with contextlib.suppress(OSError, UnicodeDecodeError):
            only = token_prefix((settings.data_dir / ADMIN_TOKEN_FILE).read_text(encoding="utf-8").strip())
        only = only or prefix  # none before: revoke nothing (the new one is not stored yet)
    await db.write(users_store.reset_local_admin, LOCAL_ADMIN, prefix, hashed, only)
    write_private(settings.data_dir / ADMIN_TOKEN_FILE, token + "\n")


async def prepare(settings: Settings, demo: bool = False) -> list[str]:
    """Migrate, load the library (and the demo organisation); return lines to print."""
    from server.demo import load_demo

    db = await open_database(settings)
    try:
        lines = []
        library = await load_library(db)
        if library:
            lines.append(f"loaded the standards library: {', '.join(library)}")
        policy = await load_default_policy(db)
        if policy:
            lines.append(f"loaded the default motivation policy: {policy}")
        if demo:
            lines.extend(await load_demo(db, settings))
        return lines
    finally:
        await db.close()
