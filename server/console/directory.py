"""Administration: the directory (units, staff, assignments), its CSV import with a preview, and templates.

The lists read through the API's own store functions (`server.store.directory.list_*`, with a
search that folds case and Unicode in Python: SQLite's LOWER knows ASCII only).

**The import is two steps, and nothing is written before the second.** The upload is checked with
the API's `parse_csv` and the store's reference checks (read only), and the preview lists every
problem by line and column, or for a clean file the row count, what is new or changed, and the first
rows. The confirm then imports exactly the previewed bytes: the upload is kept server-side under a
random id (256 bits) in `<data dir>/uploads/csv-imports/` (0600, beside the tablets' upload parts,
which the sweep of `.part` files leaves alone), with its entity, SHA-256, the admin who sent it and
its time. The confirm form names only the id and the hash; the server imports its own copy, only
for the same admin, only within `PENDING_FOR`, and only when the hash still matches, so no other
file can be slipped in. The import itself is the API's (`server.routes.admin.import_directory_csv`).
Stale uploads are removed at the next upload.

A unit's own page edits it with the API's rules: its text goes through the CSV import's reading
(`server.directory.decode_cells`, so a decimal comma is taken and `NaN` is not), and the write is
`PUT /v1/units/{unit_id}`'s store function.

Our own problem messages are shown in the viewer's language (each mapped from the server's
message to a catalogue key by `problem_code`), with the server's wording beside them.
"""

from __future__ import annotations

import asyncio
import calendar
import csv
import datetime as dt
import hashlib
import io
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from checklists.model import UnitKind
from reports import i18n
from server.console import checklists
from server.console.web import console, language_of, new_secret, page, redirect, viewer_of
from server.db import Database, snapshot
from server.directory import IMPORTS, CsvRejected, UnitRowIn, decode_cells, import_template, parse_csv
from server.errors import FieldError, ProblemError, not_found
from server.files import PRIVATE_FILE, make_private_dir
from server.routes.admin import import_directory_csv
from server.settings import Settings
from server.store import directory as store

ADMIN = console("admin")
ENTITIES = tuple(IMPORTS)
KINDS: tuple[str, ...] = get_args(UnitKind)
PAGE_SIZE = 50
MAX_VALUE = 200  # a filter longer than any id or name is no filter
PREVIEW_ROWS = 20
PENDING_DIR = ("uploads", "csv-imports")
PENDING_FOR = dt.timedelta(hours=1)
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{43}")
SHA256 = re.compile(r"[0-9a-f]{64}")


# --- lists --------------------------------------------------------------------------------------------


def _params(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The query's values of `names`, trimmed; over-long or empty ones are left out."""
    out = {}
    for name in names:
        value = request.query_params.get(name)
        if isinstance(value, str) and value.strip() and len(value) <= MAX_VALUE:
            out[name] = value.strip()
    return out


def month_days(period: str) -> tuple[str, str] | None:
    """The first and last day of a `YYYY-MM` month, or None when it is not one."""
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", period)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    last = calendar.monthrange(year, month)[1]
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last:02d}"


class Listing(msgspec.Struct, kw_only=True, frozen=True):
    """One page of a directory list, and what its filters offer."""

    rows: list[Any]  # sqlite3.Row
    more: bool
    regions: list[str]
    units: dict[str, str]


def _listing(c: sqlite3.Connection, entity: str, after: str, f: dict[str, str]) -> Listing:
    with snapshot(c):
        limit = PAGE_SIZE + 1
        if entity == "units":
            rows = store.list_units(c, after, limit, f.get("kind"), f.get("region"), f.get("q"))
        elif entity == "staff":
            rows = store.list_staff(c, after, limit, f.get("unit"), f.get("q"))
        else:
            due = month_days(f["period"]) if "period" in f else None
            rows = store.list_assignments(c, after, limit, f.get("auditor"), f.get("q"), f.get("unit"), due)
        rows = rows[:limit]
        ids = {r["unit_id"] for r in rows} if entity != "units" else set()
        return Listing(
            rows=rows[:PAGE_SIZE],
            more=len(rows) > PAGE_SIZE,
            regions=store.unit_regions(c) if entity == "units" else [],
            units=store.unit_names(c, ids),
        )


FILTERS = {
    "units": ("q", "kind", "region"),
    "staff": ("q", "unit"),
    "assignments": ("q", "unit", "auditor", "period"),
}
KEYS = {"units": "unit_id", "staff": "staff_id", "assignments": "assignment_id"}


async def _list_page(request: Request, db: Database, entity: str) -> Template:
    f = _params(request, FILTERS[entity])
    if f.get("kind") not in (None, *KINDS):
        f.pop("kind")
    if "period" in f and month_days(f["period"]) is None:
        f.pop("period")
    after = _params(request, ("after",)).get("after", "")
    listing = await db.read(_listing, entity, after, f)
    base = f"/admin/directory/{entity}"
    next_url = None
    if listing.more:
        next_url = base + "?" + urlencode({**f, "after": listing.rows[-1][KEYS[entity]]})
    imported = _params(request, ("imported",)).get("imported", "")
    lang = language_of(request)
    return page(
        request,
        f"directory_{entity}.html",
        entity=entity,
        f=f,
        rows=listing.rows,
        units=listing.units,
        regions=listing.regions,
        kinds=KINDS,
        next_url=next_url,
        first_url=(base + "?" + urlencode(f)) if after else None,
        reset_url=base,
        imported=int(imported) if imported.isascii() and imported.isdigit() and len(imported) < 8 else None,
        day=lambda iso: i18n.date(iso, lang),
    )


@get("/admin/directory", opt=ADMIN, include_in_schema=False, status_code=303)
async def directory_home() -> Redirect:
    """The directory starts at its units."""
    return redirect("/admin/directory/units")


@get("/admin/directory/units", opt=ADMIN, include_in_schema=False)
async def units_page(request: Request, db: NamedDependency[Database]) -> Template:
    """Units: search by id or name, filter by kind and region, paged in id order."""
    return await _list_page(request, db, "units")


@get("/admin/directory/staff", opt=ADMIN, include_in_schema=False)
async def staff_page(request: Request, db: NamedDependency[Database]) -> Template:
    """Staff: search by id or name, filter by unit, paged in id order."""
    return await _list_page(request, db, "staff")


@get("/admin/directory/assignments", opt=ADMIN, include_in_schema=False)
async def assignments_page(request: Request, db: NamedDependency[Database]) -> Template:
    """Assignments: search by id, auditor or unit; filter by unit, auditor and month; paged in id order."""
    return await _list_page(request, db, "assignments")


# --- one unit: its facts and the form that edits them ---------------------------------------------------

UNIT_FIELDS = ("kind", "name", "region", "lat", "lon", "geofence_m")
MAX_FIELD = 1000  # longer than any valid value: the rest is not read


class FieldProblem(msgspec.Struct, kw_only=True, frozen=True):
    """A problem of one field of the unit form, as the import's preview shows one."""

    code: str
    fields: dict[str, str]
    detail: str


def unit_form_values(unit: store.Unit) -> dict[str, str]:
    """A stored unit as its form's text."""
    location = unit.location
    return {
        "kind": unit.kind,
        "name": unit.name,
        "region": unit.region,
        "active": "true" if unit.active else "false",
        "lat": degrees_text(location.lat) if location else "",
        "lon": degrees_text(location.lon) if location else "",
        "geofence_m": str(unit.geofence_m) if unit.geofence_m is not None else "",
    }


def degrees_text(value: float) -> str:
    """A coordinate as the form shows it: the shortest text that reads back as the same float, never `1e-05`."""
    text = repr(value)
    return f"{value:.20f}".rstrip("0").rstrip(".") if "e" in text else text


def read_unit_form(form: Any) -> tuple[dict[str, str], store.UnitIn | None, dict[str, FieldProblem]]:
    """The unit form's text (trimmed), and the body it makes or each field's problem."""
    values = {}
    for name in UNIT_FIELDS:
        value = form.get(name)
        values[name] = value[:MAX_FIELD].strip() if isinstance(value, str) else ""
    values["active"] = "true" if form.get("active") == "on" else "false"
    body, errors = decode_cells(values, UnitRowIn, "")
    problems = {}
    for error in errors:
        code, fields = problem_code(error.message)
        problems.setdefault(error.path, FieldProblem(code=code, fields=fields, detail=error.message))
    return values, body if isinstance(body, store.UnitIn) else None, problems


def _unit_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", value):
        raise not_found("unit")
    return value


def _unit_page(
    request: Request,
    unit: store.Unit,
    values: dict[str, str],
    problems: dict[str, FieldProblem],
    status: int = 200,
) -> Template:
    done = request.query_params.get("done")
    return page(
        request,
        "directory_unit.html",
        status=status,
        unit=unit,
        values=values,
        problems=problems,
        kinds=KINDS,
        done=done == "saved",
    )


@get("/admin/directory/units/{unit_id:str}", opt=ADMIN, include_in_schema=False)
async def unit_page(request: Request, db: NamedDependency[Database], unit_id: FromPath[str]) -> Template:
    """One unit: its facts and the form that edits them, with its place and geofence."""
    unit = await db.read(store.get_unit, _unit_id(unit_id))
    if unit is None:
        raise not_found("unit")
    return _unit_page(request, unit, unit_form_values(unit), {})


@post("/admin/directory/units/{unit_id:str}", opt=ADMIN, include_in_schema=False, status_code=303)
async def save_unit(request: Request, db: NamedDependency[Database], unit_id: FromPath[str]) -> Response:
    """Save the unit form (`PUT /v1/units/{unit_id}`'s rules); the form again with each problem otherwise."""
    key = _unit_id(unit_id)
    unit = await db.read(store.get_unit, key)
    if unit is None:
        raise not_found("unit")
    values, body, problems = read_unit_form(await request.form())
    if body is None:
        return _unit_page(request, unit, values, problems, status=400)
    await db.write(store.put_units, [(key, body)])
    return redirect(f"/admin/directory/units/{key}?done=saved")


# --- templates ------------------------------------------------------------------------------------------


def template_csv(entity: str) -> bytes:
    """The import template of `entity`: a header row and an example row, UTF-8 with a BOM (for spreadsheets)."""
    columns = import_template(entity)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    writer.writerow([c.example for c in columns])
    return out.getvalue().encode("utf-8-sig")


@get("/admin/directory/templates/{name:str}", opt=ADMIN, include_in_schema=False)
async def template_file(name: FromPath[str]) -> Response[bytes]:
    """`/admin/directory/templates/units.csv` (staff, assignments): the columns an import takes."""
    entity = name.removesuffix(".csv")
    if not name.endswith(".csv") or entity not in ENTITIES:
        raise not_found("import")
    return Response(
        content=template_csv(entity),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="tekseru-{entity}.csv"'},
    )


# --- problems in the viewer's language ------------------------------------------------------------------

# The server's messages (server.directory, server.store.directory, msgspec) and the catalogue keys
# that say them in the viewer's language; the fields captured fill the text in.
_PROBLEM_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern))
    for code, pattern in (
        ("not_utf8", r"^not UTF-8 text at byte (?P<byte>[0-9]+)$"),
        ("empty", r"^the file is empty$"),
        ("not_csv", r"^not valid CSV: "),
        ("unknown_column", r"^unknown column ['\"](?P<column>.*)['\"]$"),
        ("missing_column", r"^missing column ['\"](?P<column>.*)['\"]$"),
        ("column_twice", r"^a column is named twice$"),
        ("too_many_rows", r"^more than (?P<n>[0-9]+) rows$"),
        ("field_count", r"^expected (?P<expected>[0-9]+) fields \(.*\), found (?P<found>[0-9]+)$"),
        ("duplicate_key", r"^['\"].*['\"] is also on line (?P<other>[0-9]+)$"),
        ("required_empty", r"^required, but empty$"),
        ("no_unit", r"^no unit ['\"](?P<value>.*)['\"]$"),
        ("no_auditor", r"^no auditor named ['\"](?P<value>.*)['\"]$"),
        ("no_checklist", r"^no published, unretired checklist ['\"](?P<value>.*)['\"]$"),
        ("wrong_kind", r"^checklist ['\"](?P<value>.*)['\"] is not for (?P<kind>[a-z_]+) units$"),
        ("dates_order", r"^must not be before due_from$"),
        ("not_degrees", r"^not a number of degrees \(like [0-9.]+\): ['\"](?P<value>.*)['\"]$"),
        ("not_metres", r"^not a whole number of metres \(like [0-9]+\): ['\"](?P<value>.*)['\"]$"),
        ("coordinate_pair", r"^required when (?P<given>lat|lon) is given$"),
        ("geofence_alone", r"^a geofence needs the unit's location"),
        ("at_most", r"^Expected `(?:float|int)` <= (?P<bound>-?[0-9]+)(?:\.0)?$"),
        ("at_least", r"^Expected `(?:float|int)` >= (?P<bound>-?[0-9]+)(?:\.0)?$"),
        ("no_assignment", r"^no assignment ['\"](?P<value>.*)['\"]$"),
        ("calibration_self", r"^an assignment cannot calibrate itself$"),
        ("calibration_chain", r"^['\"](?P<other>.*)['\"] is itself a calibration of ['\"](?P<original>.*)['\"]"),
        ("calibration_chain_in", r"^['\"](?P<other>.*)['\"] calibrates this assignment, so it cannot be"),
        (
            "calibration_checklist",
            r"^['\"](?P<other>.*)['\"] (?:is for|calibrates this assignment with) checklist ['\"](?P<value>.*)['\"]$",
        ),
        (
            "calibration_unit",
            r"^['\"](?P<other>.*)['\"] (?:is for|calibrates this assignment with) unit ['\"](?P<value>.*)['\"]$",
        ),
        ("calibration_same_auditor", r"^['\"](?P<other>.*)['\"] has the same auditor"),
        ("bad_choice", r"^Invalid enum value"),
        ("bad_bool", r"^Expected `bool`"),
        ("bad_date", r"date"),
        ("bad_id", r"matching regex"),
        ("too_long", r"length <= (?P<n>[0-9]+)"),
        ("one_line", r"(not allowed in one line of text|not one line of text|must not be empty)$"),
    )
)


def problem_code(message: str) -> tuple[str, dict[str, str]]:
    """The catalogue code of a server message about a CSV file, with the values it names (`other` if none fits)."""
    for code, pattern in _PROBLEM_PATTERNS:
        m = pattern.search(message)
        if m:
            return code, {k: v for k, v in m.groupdict().items() if v is not None}
    return "other", {}


class Problem(msgspec.Struct, kw_only=True, frozen=True):
    """One problem of a file: where (line, column) and what (our code, the server's words)."""

    line: int | None
    column: str | None
    code: str
    fields: dict[str, str]
    detail: str


def problem_of(error: FieldError, key_column: str) -> Problem:
    """A FieldError of the import (`line 7.kind`, `line 1`, `file`) as a Problem."""
    m = re.fullmatch(r"line ([0-9]+)(?:\.(.+))?", error.path)
    line = int(m.group(1)) if m else None
    column = m.group(2) if m else None
    if column == "key":
        column = key_column
    code, fields = problem_code(error.message)
    return Problem(line=line, column=column, code=code, fields=fields, detail=error.message)


# --- the pending upload ---------------------------------------------------------------------------------


class Pending(msgspec.Struct, kw_only=True, frozen=True):
    """What is kept beside an uploaded file until it is imported or expires."""

    entity: str
    sha256: str
    user: str
    filename: str
    size: int
    uploaded_at: float  # seconds since the epoch


def pending_dir(settings: Settings) -> Path:
    return settings.data_dir.joinpath(*PENDING_DIR)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def keep_upload(folder: Path, pending: Pending, data: bytes, now: float) -> str:
    """Store an upload under a new random id (and sweep expired ones); the id."""
    make_private_dir(folder)
    sweep_uploads(folder, now)
    upload_id = new_secret()
    _write_private(folder / f"{upload_id}.csv", data)
    _write_private(folder / f"{upload_id}.json", msgspec.json.encode(pending))
    return upload_id


def sweep_uploads(folder: Path, now: float) -> None:
    """Remove the uploads older than PENDING_FOR."""
    limit = now - PENDING_FOR.total_seconds()
    for entry in folder.glob("*.json"):
        try:
            if entry.stat().st_mtime < limit:
                entry.with_suffix(".csv").unlink(missing_ok=True)
                entry.unlink(missing_ok=True)
        except OSError:
            continue


def read_upload(folder: Path, upload_id: str, user: str, now: float) -> tuple[Pending, bytes] | None:
    """The upload `upload_id` of `user`, if it is still there, not expired, and its bytes still hash as sent."""
    if not UPLOAD_ID.fullmatch(upload_id):
        return None
    try:
        pending = msgspec.json.decode((folder / f"{upload_id}.json").read_bytes(), type=Pending)
        data = (folder / f"{upload_id}.csv").read_bytes()
    except (OSError, msgspec.DecodeError):
        return None
    if pending.user != user or now - pending.uploaded_at > PENDING_FOR.total_seconds():
        return None
    if hashlib.sha256(data).hexdigest() != pending.sha256 or pending.entity not in ENTITIES:
        return None
    return pending, data


def drop_upload(folder: Path, upload_id: str) -> None:
    for suffix in (".csv", ".json"):
        (folder / f"{upload_id}{suffix}").unlink(missing_ok=True)


# --- the import: form, upload, preview, confirm ---------------------------------------------------------


@get("/admin/directory/import", opt=ADMIN, include_in_schema=False)
async def import_form(request: Request, settings: NamedDependency[Settings]) -> Template:
    """Choose what to import and the file; the templates to download."""
    entity = request.query_params.get("entity")
    return _import_form(request, settings, entity if entity in ENTITIES else "units", None)


_TAKES = (
    ("id", re.compile(r"^the id: ")),
    ("degrees", re.compile(r"^degrees from -(?P<bound>[0-9]+) to [0-9]+, given with the other coordinate$")),
    ("metres", re.compile(r"^metres from (?P<low>[0-9]+) to (?P<high>[0-9]+), only with lat and lon$")),
    ("calibration", re.compile(r"^the id of another auditor's assignment of the same unit and checklist")),
    ("time", re.compile(r"^a time of day, HH:MM, with the other end of the window$")),
    ("one_of", re.compile(r"^one of (?P<values>.+)$")),
    ("bool", re.compile(r"^true or false$")),
    ("date", re.compile(r"^a date, YYYY-MM-DD$")),
    ("unit", re.compile(r"^an existing unit's id$")),
    ("checklist", re.compile(r"^an existing checklist's id$")),
    ("auditor", re.compile(r"^an auditor's user name$")),
    ("text", re.compile(r"^text on one line \(at most (?P<n>[0-9]+) characters\)$")),
)


def takes_text(takes: str, lang: str) -> str:
    """What a template column takes (`import_template`'s words) in the viewer's language; as given if unknown."""
    what, _, empty = takes.partition("; empty: ")
    for code, pattern in _TAKES:
        m = pattern.search(what)
        if m:
            out = i18n.text(f"console.directory.takes.{code}", lang, **m.groupdict())
            break
    else:
        return takes
    if empty:
        shown = i18n.text("console.directory.takes.nothing", lang) if empty == "none" else empty
        out += "; " + i18n.text("console.directory.takes.empty", lang, value=shown)
    return out


def _import_form(request: Request, settings: Settings, entity: str, error: str | None, status: int = 200) -> Template:
    lang = language_of(request)
    return page(
        request,
        "directory_import.html",
        status=status,
        entity=entity,
        entities=ENTITIES,
        columns={e: import_template(e) for e in ENTITIES},
        max_mb=settings.max_body_bytes // (1024 * 1024),
        error=error,
        takes=lambda takes: takes_text(takes, lang),
    )


@post("/admin/directory/import", opt=ADMIN, include_in_schema=False, status_code=303)
async def upload_file(request: Request, settings: NamedDependency[Settings]) -> Response:
    """Keep the uploaded file (nothing is imported) and show its preview."""
    form = await request.form()
    entity = form.get("entity")
    upload = form.get("file")
    data = await checklists.read_and_close(upload) if isinstance(upload, UploadFile) else None
    if entity not in ENTITIES:
        return _import_form(request, settings, "units", "choose_entity", status=400)
    if data is None or not isinstance(upload, UploadFile):
        return _import_form(request, settings, entity, "choose_file", status=400)
    if not data:
        return _import_form(request, settings, entity, "empty_file", status=400)
    if len(data) > settings.max_body_bytes:
        return _import_form(request, settings, entity, "too_big", status=413)
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload.csv"
    now = time.time()
    pending = Pending(
        entity=entity,
        sha256=hashlib.sha256(data).hexdigest(),
        user=viewer_of(request).name,
        filename=name,
        size=len(data),
        uploaded_at=now,
    )
    upload_id = await asyncio.to_thread(keep_upload, pending_dir(settings), pending, data, now)
    return redirect(f"/admin/directory/import/{upload_id}")


class Preview(msgspec.Struct, kw_only=True, frozen=True):
    """What an import of a file would do: its problems, or its rows with what is new or changed."""

    problems: list[Problem]
    count: int = 0
    new: int = 0
    changed: int = 0
    same: int = 0
    columns: list[str] = []
    rows: list[dict[str, Any]] = []


_COMPARED = {
    "units": ("kind", "name", "region", "active", "lat", "lon", "geofence_m"),
    "staff": ("name", "unit_id", "position", "active"),
    "assignments": ("auditor", "unit_id", "checklist_id", "due_from", "due_to", "active", "calibration_of"),
}


def _stored_value(value: object, column: str) -> object:
    return bool(value) if column == "active" else value


def row_values(body: object) -> dict[str, Any]:
    """A row's values by the file's columns: a unit's location as its `lat` and `lon` again."""
    values = msgspec.to_builtins(body)
    if isinstance(body, store.UnitIn):
        location = values.pop("location", None) or {}
        values |= {"lat": location.get("lat"), "lon": location.get("lon")}
    return values


def preview_of(c: sqlite3.Connection, entity: str, rows: list, where: list[str]) -> Preview:
    """The reference problems of clean rows (read only), else how many are new, changed or the same."""
    key_column = IMPORTS[entity][0]
    with snapshot(c):
        errors = store.reference_problems(c, entity, rows, where)
        if errors:
            return Preview(problems=[problem_of(e, key_column) for e in errors])
        stored = store.stored_rows(c, entity, [key for key, _ in rows])
    compared = _COMPARED[entity]
    counts = {"new": 0, "changed": 0, "same": 0}
    shown = []
    for (key, body), line in zip(rows, where, strict=True):
        values = row_values(body)
        old = stored.get(key)
        changed = [col for col in compared if old is not None and _stored_value(old[col], col) != values.get(col)]
        state = "new" if old is None else ("changed" if changed else "same")
        counts[state] += 1
        if len(shown) < PREVIEW_ROWS:
            shown.append(
                {"line": line.removeprefix("line "), "key": key, "values": values, "state": state, "changed": changed}
            )
    return Preview(problems=[], count=len(rows), columns=list(compared), rows=shown, **counts)


async def _preview(db: Database, entity: str, data: bytes) -> Preview:
    key_column = IMPORTS[entity][0]
    try:
        rows, where = await asyncio.to_thread(parse_csv, entity, data)
    except CsvRejected as exc:
        return Preview(problems=[problem_of(e, key_column) for e in exc.errors])
    return await db.read(preview_of, entity, rows, where)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.column or ""))


@get("/admin/directory/import/{upload_id:str}", opt=ADMIN, include_in_schema=False)
async def preview_page(
    request: Request, upload_id: FromPath[str], db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """The preview of an uploaded file: every problem by line and column, or what the import would do."""
    found = await asyncio.to_thread(read_upload, pending_dir(settings), upload_id, viewer_of(request).name, time.time())
    if found is None:
        raise not_found("import")
    pending, data = found
    preview = await _preview(db, pending.entity, data)
    failed = _params(request, ("failed",)).get("failed") == "1"
    return page(
        request,
        "directory_preview.html",
        upload_id=upload_id,
        pending=pending,
        uploaded_at=dt.datetime.fromtimestamp(pending.uploaded_at, dt.UTC).isoformat(),
        preview=msgspec.structs.replace(preview, problems=_sorted(preview.problems)),
        key_column=IMPORTS[pending.entity][0],
        failed=failed,
        day=lambda iso: i18n.date(iso, language_of(request)),
    )


@post("/admin/directory/import/{upload_id:str}", opt=ADMIN, include_in_schema=False, status_code=303)
async def confirm_import(
    request: Request, upload_id: FromPath[str], db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Redirect:
    """Import exactly the previewed file (the server's own copy, its hash as the preview showed), then drop it."""
    form = await request.form()
    sent_hash = form.get("sha256")
    folder = pending_dir(settings)
    found = await asyncio.to_thread(read_upload, folder, upload_id, viewer_of(request).name, time.time())
    if found is None or not isinstance(sent_hash, str) or not SHA256.fullmatch(sent_hash):
        raise not_found("import")
    pending, data = found
    if sent_hash != pending.sha256:
        raise not_found("import")
    try:
        count = await import_directory_csv(db, pending.entity, data)
    except (CsvRejected, ProblemError):
        # The directory changed since the preview (a unit or auditor is gone): show it again.
        return redirect(f"/admin/directory/import/{upload_id}?failed=1")
    await asyncio.to_thread(drop_upload, folder, upload_id)
    return redirect(f"/admin/directory/{pending.entity}?imported={count}")


# The checklist and policy pages live in their own module and are registered with these.
ROUTES = [
    *checklists.ROUTES,
    directory_home,
    units_page,
    unit_page,
    save_unit,
    staff_page,
    assignments_page,
    template_file,
    import_form,
    upload_file,
    preview_page,
    confirm_import,
]
