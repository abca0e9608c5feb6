"""Reading the org directory (units, staff, assignments) from CSV files; its types are in `server.store.directory`.

CSV files come from the operator's HR and branch systems, often saved by a spreadsheet program:
UTF-8 with or without a BOM, `,` or `;` between fields. A file is taken whole or not at all;
every bad row is reported by its line number.

A units file has a unit's location in two columns, `lat` and `lon` (degrees; a decimal comma, as a
spreadsheet in a Russian or Kazakh locale writes it, is taken too), beside `geofence_m`; an empty
cell is no value. Numbers are plain ASCII decimals: `NaN`, `inf`, `1e309` or a word are refused
with their line and column, and a cell is trimmed of spaces and line breaks at its ends as every cell is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import msgspec

from checklists.model import UnitKind
from server.errors import FieldError
from server.store.directory import (
    AssignmentIn,
    GeofenceM,
    Latitude,
    Longitude,
    StaffIn,
    UnitIn,
    UnitLocation,
    unit_problems,
)
from server.wire import Body, Name, Slug, field_message


class UnitRowIn(Body):
    """A row of a units file: `UnitIn` with its location in two columns (`unit_in` makes the body)."""

    kind: UnitKind
    name: Name
    region: Name
    active: bool = True
    lat: Latitude | None = None
    lon: Longitude | None = None
    geofence_m: GeofenceM | None = None


# Each importable entity: its key column and the body type the other columns decode into.
IMPORTS: dict[str, tuple[str, type[Body]]] = {
    "units": ("unit_id", UnitRowIn),
    "staff": ("staff_id", StaffIn),
    "assignments": ("assignment_id", AssignmentIn),
}

MAX_IMPORT_ROWS = 100_000

# The number columns, and what a cell of each must look like before it is read as a number: msgspec
# alone would read `nan` and `inf` as floats, and its message for a word does not say what is wanted.
_NUMBER_CELLS: dict[str, tuple[re.Pattern[str], str]] = {
    "lat": (re.compile(r"[+-]?[0-9]{1,3}(?:[.,][0-9]{1,20})?"), "not a number of degrees (like 43.2389)"),
    "lon": (re.compile(r"[+-]?[0-9]{1,3}(?:[.,][0-9]{1,20})?"), "not a number of degrees (like 76.8897)"),
    "geofence_m": (re.compile(r"[0-9]{1,6}"), "not a whole number of metres (like 150)"),
}


class CsvRejected(Exception):
    """A CSV file that cannot be imported; `errors` names each bad line and field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


def parse_csv(entity: str, data: bytes) -> tuple[list[tuple[str, Body]], list[str]]:
    """Decode a CSV file into (key, body) rows and where each came from (`line 7`).

    Raises CsvRejected listing every bad line.
    """
    key_column, body_type = IMPORTS[entity]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRejected([FieldError(path="file", message=f"not UTF-8 text at byte {exc.start}")]) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CsvRejected([FieldError(path="line 1", message="the file is empty")]) from None
    except csv.Error as exc:
        raise CsvRejected([FieldError(path="line 1", message=f"not valid CSV: {exc}")]) from None
    fields = {f.encode_name: f for f in msgspec.structs.fields(body_type)}
    errors: list[FieldError] = []
    for column in header:
        if column != key_column and column not in fields:
            errors.append(FieldError(path="line 1", message=f"unknown column {column!r}"))
    for column in [key_column] + [f.encode_name for f in fields.values() if f.required]:
        if column not in header:
            errors.append(FieldError(path="line 1", message=f"missing column {column!r}"))
    if len(set(header)) != len(header):
        errors.append(FieldError(path="line 1", message="a column is named twice"))
    if errors:
        raise CsvRejected(errors)
    rows: list[tuple[str, Body]] = []
    lines: list[str] = []
    seen: dict[str, int] = {}
    for line, record, problem in _records(reader):
        if record is None:
            errors.append(FieldError(path=f"line {line}", message=problem))
            continue
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            errors.append(FieldError(path=f"line {line}", message=f"more than {MAX_IMPORT_ROWS} rows"))
            break
        if len(record) != len(header):
            message = f"expected {len(header)} fields ({', '.join(header)}), found {len(record)}"
            errors.append(FieldError(path=f"line {line}", message=message))
            continue
        values = {h: cell.strip() for h, cell in zip(header, record, strict=True)}
        key = values.pop(key_column)
        row_errors = _key_problems(key, line)
        body, cell_errors = decode_cells(values, body_type, f"line {line}")
        row_errors += cell_errors
        if key in seen:
            row_errors.append(
                FieldError(path=f"line {line}.{key_column}", message=f"{key!r} is also on line {seen[key]}")
            )
        if row_errors or body is None:
            errors.extend(row_errors)
            continue
        seen[key] = line
        rows.append((key, body))
        lines.append(f"line {line}")
    if errors:
        raise CsvRejected(errors)
    return rows, lines


def decode_cells(values: dict[str, str], body_type: type[Body], where: str) -> tuple[Body | None, list[FieldError]]:
    """A row's cells (trimmed text; '' for none) as the body its entity's write takes (a units row as
    `UnitIn`), or each of its problems at `where.column` (`line 7.lat`; the bare column for no `where`).

    The CSV import and the console's unit form read their text through this one path.
    """
    values, errors = _number_cells(values, where)
    body, problems = _decode_row_or_problems(values, body_type, where)
    if body is None or errors or problems:
        return None, errors + problems
    if isinstance(body, UnitRowIn):
        return unit_in(body, where)
    return body, []


def _at(where: str, column: str) -> str:
    return f"{where}.{column}" if where else column


def _number_cells(values: dict[str, str], where: str) -> tuple[dict[str, str], list[FieldError]]:
    """The row with its number cells as msgspec reads them (a decimal comma made a point), the bad ones
    left out and each named by its line and column."""
    errors = []
    out = dict(values)
    for column, (pattern, what) in _NUMBER_CELLS.items():
        value = values.get(column, "")
        if value == "":
            continue
        if pattern.fullmatch(value):
            out[column] = value.replace(",", ".")
        else:
            errors.append(FieldError(path=_at(where, column), message=f"{what}: {value[:40]!r}"))
            del out[column]
    return out, errors


def unit_in(row: UnitRowIn, where: str) -> tuple[UnitIn | None, list[FieldError]]:
    """A units row as the API's body: `lat` and `lon` both or neither, a geofence only with them."""
    if (row.lat is None) != (row.lon is None):
        given, missing = ("lat", "lon") if row.lon is None else ("lon", "lat")
        return None, [FieldError(path=_at(where, missing), message=f"required when {given} is given")]
    location = UnitLocation(lat=row.lat, lon=row.lon) if row.lat is not None and row.lon is not None else None
    unit = UnitIn(
        kind=row.kind,
        name=row.name,
        region=row.region,
        active=row.active,
        location=location,
        geofence_m=row.geofence_m,
    )
    errors = unit_problems(unit, where or None)
    return (None, errors) if errors else (unit, [])


def _records(reader) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line, record, "") for each record; (line, None, problem) for a malformed one, then on to the next.

    A bad quote on one line must not hide the rows after it: every bad row is listed at once.
    """
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # A quote left open swallows the lines after it; say where it began.
            runs_on = ""
            if reader.line_num > start:
                runs_on = f" (a field quoted on line {start} runs on to line {reader.line_num})"
            yield start, None, f"not valid CSV: {exc}{runs_on}"
            continue
        yield reader.line_num, record, ""


class _Key(msgspec.Struct):
    # A Struct, not the bare `Slug`: msgspec caches what it learns of a Struct type, while a bare
    # annotated type is worked out again on every call (most of the time of a large import).
    key: Slug


def _key_problems(key: str, line: int) -> list[FieldError]:
    try:
        msgspec.convert({"key": key}, _Key)
    except msgspec.ValidationError as exc:
        return [FieldError(path=f"line {line}.key", message=str(exc).split(" - at")[0])]
    return []


def _decode_row_or_problems(
    values: dict[str, str], body_type: type[Body], where: str
) -> tuple[Body | None, list[FieldError]]:
    """A row's body, or each of its problems: the row whole first, field by field only when it fails."""
    try:
        return _decode_row(values, body_type), []
    except msgspec.ValidationError:
        problems = _row_problems(values, body_type, where)
        return None, problems or [FieldError(path=where or "row", message="not a valid row")]


def _row_problems(values: dict[str, str], body_type: type[Body], where: str) -> list[FieldError]:
    errors = []
    cleaned = _blank_to_missing(values)
    for name, value in cleaned.items():
        try:
            _decode_row({**_placeholders(body_type), name: value}, body_type)
        except msgspec.ValidationError as exc:
            message = field_message(str(exc).split(" - at")[0], value)
            errors.append(FieldError(path=_at(where, name), message=message))
    for f in msgspec.structs.fields(body_type):
        if f.required and f.encode_name not in cleaned:
            errors.append(FieldError(path=_at(where, f.encode_name), message="required, but empty"))
    return errors


def _blank_to_missing(values: dict[str, str]) -> dict[str, str]:
    # An empty cell means "not given": the field's default (active = true, position = none).
    return {k: v for k, v in values.items() if v != ""}


def _placeholders(body_type: type[Body]) -> dict[str, object]:
    """Valid values for the required fields, so that one field can be checked on its own."""
    samples: dict[str, object] = {
        "kind": "branch",
        "name": "x",
        "region": "x",
        "unit_id": "x",
        "auditor": "x",
        "checklist_id": "x",
        "due_from": "2000-01-01",
        "due_to": "2000-01-01",
    }
    return {f.encode_name: samples[f.encode_name] for f in msgspec.structs.fields(body_type) if f.required}


def _decode_row(values: dict[str, object], body_type: type[Body]) -> Body:
    cleaned = {k: v for k, v in values.items() if v != ""}
    return msgspec.convert(cleaned, body_type, strict=False)


class TemplateColumn(msgspec.Struct, frozen=True, kw_only=True):
    """One column of an import file: whether it is required, an example value and what it takes."""

    name: str
    required: bool
    example: str
    takes: str


# One consistent example organisation: the staff member works in the unit, the assignment sends
# an auditor there, so the three templates import one after the other as printed.
_TEMPLATE_EXAMPLES = {
    "unit_id": "ALM-014",
    "kind": "branch",
    "name": "ПСС Алматы Абая 150",
    "region": "Алматы",
    "active": "true",
    "staff_id": "E1001",
    "position": "консультант",
    "assignment_id": "A-2026-12-001",
    "auditor": "auditor.aigerim",
    "checklist_id": "branch",
    "due_from": "2026-12-01",
    "due_to": "2026-12-31",
    # Almaty, Abay Avenue: a branch with its place, and the geofence the policy would give it anyway.
    "lat": "43.2389",
    "lon": "76.8897",
    "geofence_m": "150",
    # Empty: the example assignment is a first scoring, not a calibration of another.
    "calibration_of": "",
    # A planned visit's window on its days (both ends, or neither: any time).
    "time_from": "10:00",
    "time_to": "12:00",
}
_TEMPLATE_NAMES = {"staff": {"name": "Нұрланова Әлия"}}


def import_template(entity: str) -> list[TemplateColumn]:
    """The columns an import of `entity` accepts, key first, each with an example (the importer's own list)."""
    key_column, body_type = IMPORTS[entity]
    key_example = _TEMPLATE_EXAMPLES[key_column]
    columns = [TemplateColumn(name=key_column, required=True, example=key_example, takes=_takes(None))]
    for field in msgspec.inspect.type_info(body_type).fields:
        example = _TEMPLATE_NAMES.get(entity, {}).get(field.encode_name, _TEMPLATE_EXAMPLES[field.encode_name])
        columns.append(
            TemplateColumn(name=field.encode_name, required=field.required, example=example, takes=_takes(field))
        )
    return columns


def _takes(field: msgspec.inspect.Field | None) -> str:
    """What a column takes, in words, from its type (the key column: an id)."""
    if field is None:
        return "the id: letters, digits, '.', '_', '-' (at most 64); a row with a known id replaces it"
    kind = field.type
    if isinstance(kind, msgspec.inspect.UnionType):  # `X | None`: an optional column
        kind = next(t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType))
    default = "" if field.required else f"; empty: {_default_text(field.default)}"
    if isinstance(kind, msgspec.inspect.LiteralType):
        return "one of " + ", ".join(str(v) for v in kind.values) + default
    if isinstance(kind, msgspec.inspect.BoolType):
        return "true or false" + default
    if isinstance(kind, msgspec.inspect.DateType):
        return "a date, YYYY-MM-DD" + default
    if field.encode_name in ("unit_id", "checklist_id"):
        return f"an existing {field.encode_name.removesuffix('_id')}'s id" + default
    if field.encode_name in ("lat", "lon"):
        bound = 90 if field.encode_name == "lat" else 180
        return f"degrees from -{bound} to {bound}, given with the other coordinate" + default
    if field.encode_name == "geofence_m":
        return "metres from 10 to 100000, only with lat and lon" + default
    if field.encode_name == "calibration_of":
        return "the id of another auditor's assignment of the same unit and checklist, to score again" + default
    if field.encode_name in ("time_from", "time_to"):
        return "a time of day, HH:MM, with the other end of the window" + default
    if field.encode_name == "auditor":
        return "an auditor's user name" + default
    return "text on one line (at most 200 characters)" + default


def _default_text(default: object) -> str:
    if default is None or default is msgspec.NODEFAULT:
        return "none"
    return str(default).lower() if isinstance(default, bool) else str(default)
