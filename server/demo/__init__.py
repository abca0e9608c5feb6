"""The demo organisation that `tekseru serve --demo` (and so `make serve`) loads.

Units and staff come from the CSV files beside this module, through the same import path an
administrator uses. Users get tokens once, and office users a console password; they are kept in
`<data dir>/demo-tokens.txt` (readable only by its owner) so that every later start can show them again.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import secrets
import sqlite3
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from server.auth import new_token
from server.blobstore import open_blob_store
from server.clock import now_iso
from server.db import Database
from server.demo.visits import (
    DEMO_MANAGER,
    MANAGER_UNITS,
    appeal_cases,
    calibration_pairs,
    integrity_cases,
    publish_scorecards,
    simulate,
)
from server.directory import parse_csv
from server.files import write_private
from server.integrity.tasks import IntegrityChecks
from server.passwords import hash_password
from server.periods import next_period, previous_period
from server.plans import draft_plan, example_policy
from server.settings import Settings
from server.store import directory as directory_store
from server.store import sessions as sessions_store
from server.store import users as users_store
from server.store.directory import AssignmentIn

DEMO_USERS = (
    ("admin", "admin"),
    ("qlead.saule", "quality_lead"),
    ("hr.dana", "hr"),
    ("auditor.aigerim", "auditor"),
    ("auditor.daulet", "auditor"),
    ("auditor.marina", "auditor"),
    ("manager.aliya", "unit_manager"),
)
# Where each demo auditor works: their home region in the directory, and the regions the demo's plan
# adds to it (five regions, three auditors: two of them cover a second region each).
DEMO_REGIONS = {
    "auditor.aigerim": ("Алматы", ()),
    "auditor.daulet": ("Астана", ("Қарағанды облысы",)),
    "auditor.marina": ("Шымкент", ("Ақтөбе облысы",)),
}
DEMO_PLANNER = "qlead.saule"
TOKENS_FILE = "demo-tokens.txt"
CHECKLIST_OF_KIND = {"branch": "branch", "contact_centre": "contact_centre", "field_technician": "field_technician"}


async def load_demo(db: Database, settings: Settings, today: dt.date | None = None) -> list[str]:
    """Load what is missing of the demo organisation; return lines to print."""
    lines: list[str] = []
    folder = resources.files("server") / "demo"
    if await db.read(_row, "SELECT 1 FROM units LIMIT 1") is None:
        units, _ = parse_csv("units", (folder / "units.csv").read_bytes())
        staff, where = parse_csv("staff", (folder / "staff.csv").read_bytes())
        await db.write(directory_store.put_units, units)
        await db.write(directory_store.put_staff, staff, where)
        lines.append(f"demo: loaded {len(units)} units and {len(staff)} staff")
    tokens_path = settings.data_dir / TOKENS_FILE
    created = []
    for name, role in DEMO_USERS:
        if await db.read(_row, "SELECT 1 FROM users WHERE name = ?", (name,)) is None:
            token, prefix, hashed = new_token()
            await db.write(users_store.create_user, name, role, prefix, hashed)
            if name == DEMO_MANAGER:
                await db.write(users_store.set_units, name, list(MANAGER_UNITS))
            created.append(f"{name:<18} {role:<13} {token}")
    if created:
        previous = tokens_path.read_text(encoding="utf-8") if tokens_path.exists() else ""
        write_private(tokens_path, previous + "\n".join(created) + "\n")
    await _console_passwords(db, tokens_path)
    tz = ZoneInfo(settings.timezone)
    today = today or dt.datetime.now(tz).date()
    made = await _month_assignments(db, today)
    if made:
        lines.append(f"demo: {made} assignments for {today:%Y-%m}")
    auditors = [name for name, role in DEMO_USERS if role == "auditor"]
    blobs = open_blob_store(settings)
    try:
        lines.extend(await simulate(db, blobs, auditors, today, tz))
        lines.extend(await appeal_cases(db, settings, blobs, today, tz))
        lines.extend(await calibration_pairs(db, auditors, today, tz))
        lines.extend(await integrity_cases(db, blobs, auditors, today, tz))
        # Every visit's integrity check, now: the console shows the flags from the first page.
        ran = await IntegrityChecks(db, blobs, settings.timezone).drain()
        if ran:
            lines.append(f"demo: {ran} integrity checks run")
        lines.extend(await publish_scorecards(db, blobs, previous_period(f"{today:%Y-%m}"), tz))
    finally:
        blobs.close()
    lines.extend(await _next_month_plan(db, next_period(f"{today:%Y-%m}"), tz))
    if tokens_path.exists():
        lines.append(f"demo users and their tokens, then the office users' console passwords ({tokens_path}):")
        lines.extend("  " + line for line in tokens_path.read_text(encoding="utf-8").splitlines() if line)
    return lines


async def _console_passwords(db: Database, tokens_path: Path) -> None:
    """A random console password for each demo office user that has none, written after its token.

    A line of the file reads `name role token [password]`: the token stays the third field.
    """
    if not tokens_path.exists():
        return
    lines = tokens_path.read_text(encoding="utf-8").splitlines()
    changed = False
    for index, line in enumerate(lines):
        fields = line.split()
        if len(fields) != 3 or fields[1] == "auditor":
            continue
        user = await db.read(sessions_store.login_user, fields[0])
        if user is None or user.password_hash is not None:
            continue
        password = secrets.token_urlsafe(12)
        await db.write(sessions_store.set_password, user.name, hash_password(password), now_iso())
        lines[index] = f"{line} {password}"
        changed = True
    if changed:
        write_private(tokens_path, "\n".join(lines) + "\n")


async def _month_assignments(db: Database, today: dt.date) -> int:
    """One assignment per active unit for the month of `today`, spread over the demo auditors."""
    month = f"{today:%Y-%m}"
    if await db.read(_row, "SELECT 1 FROM assignments WHERE assignment_id LIKE ? LIMIT 1", (f"A-{month}-%",)):
        return 0
    auditors = [name for name, role in DEMO_USERS if role == "auditor"]
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    units = await db.read(_rows, "SELECT unit_id, kind FROM units WHERE active = 1 ORDER BY unit_id")
    rows = [
        (
            f"A-{month}-{n:03d}",
            AssignmentIn(
                auditor=auditors[n % len(auditors)],
                unit_id=u["unit_id"],
                checklist_id=CHECKLIST_OF_KIND[u["kind"]],
                due_from=first,
                due_to=last,
            ),
        )
        for n, u in enumerate(units, start=1)
    ]
    await db.write(directory_store.put_assignments, rows)
    return len(rows)


async def _next_month_plan(db: Database, period: str, tz: ZoneInfo) -> list[str]:
    """The auditors' regions, and a draft plan of next month from the shipped example for a quality lead to read."""
    for name, (region, _) in DEMO_REGIONS.items():
        if await db.read(_row, "SELECT 1 FROM users WHERE name = ? AND region IS NULL", (name,)):
            await db.write(users_store.set_region, name, region)
    if await db.read(_row, "SELECT 1 FROM plans WHERE period = ? LIMIT 1", (period,)):
        return []
    # A JSON array of strings is a TOML array as well.
    extra = "".join(
        f'\n[auditors."{name}"]\nregions = {json.dumps([home, *more], ensure_ascii=False)}\n'
        for name, (home, more) in DEMO_REGIONS.items()
        if more
    )
    # Three auditors for five regions who visited every unit lately: the industry's 90-day lockout
    # would leave next month nearly empty, so the demo plans with 30 days (and says what falls short).
    text = example_policy(period).replace("lockout_days = 90", "lockout_days = 30", 1)
    policy = (text + extra).encode("utf-8")
    plan = await draft_plan(db, policy, "toml", DEMO_PLANNER, tz)
    return [
        f"demo: plan {plan.plan_id} for {period} drafted: {plan.visit_count} visits, {plan.warning_count} warning(s)"
    ]


def _row(c: sqlite3.Connection, sql: str, params: tuple = ()) -> sqlite3.Row | None:
    return c.execute(sql, params).fetchone()


def _rows(c: sqlite3.Connection, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    return c.execute(sql, params).fetchall()
