"""Validation that reports every problem, not only the first.

msgspec stops at the first error of a document. An author fixing a checklist of 50 items wants
the whole list at once, so the raw decoded document is walked field by field against the
Struct types (each leaf converted on its own), and then the rules that no type can express
(unique ids, the fields each item kind needs) are checked on what was read.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from typing import Annotated, Any, Literal

import msgspec

from checklists.canonical import JsonValue, content_hash
from checklists.model import Checklist
from checklists.text import one_line_problem, stored_strings


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One problem in a document: where (`path`, `line` when known) and what."""

    path: str
    message: str
    line: int | None = None


class Invalid(Exception):
    """A document with problems; `problems` lists every one of them."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(f"{source}: {len(problems)} problem(s)")
        self.source = source
        self.problems = problems

    def lines(self) -> list[str]:
        """One human line per problem: `file:line: path: message`."""
        out = []
        for p in self.problems:
            where = f"{self.source}:{p.line}" if p.line else self.source
            out.append(f"{where}: {p.path or '(document)'}: {p.message}" if p.path else f"{where}: {p.message}")
        return out


def decode_document(data: bytes, fmt: str, source: str) -> dict[str, JsonValue]:
    """Decode TOML or JSON bytes into a plain dict, or raise Invalid naming the position."""
    try:
        if fmt == "toml":
            doc = tomllib.loads(data.decode("utf-8"))
            _reject_toml_times(doc, "")
        else:
            doc = msgspec.json.decode(data)
    except UnicodeDecodeError as exc:
        raise Invalid(source, [Problem(path="", message=f"not UTF-8 text ({exc.reason})")]) from None
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise Invalid(source, [Problem(path="", message=f"not valid TOML: {exc}", line=line)]) from None
    except _TomlTime as exc:
        raise Invalid(source, [Problem(path=exc.path, message="dates and times are not allowed here")]) from None
    except msgspec.DecodeError as exc:
        raise Invalid(source, [Problem(path="", message=f"not valid JSON: {exc}")]) from None
    if not isinstance(doc, dict):
        raise Invalid(source, [Problem(path="", message="expected an object at the top level")])
    return doc


class _TomlTime(Exception):
    def __init__(self, path: str) -> None:
        self.path = path


def _reject_toml_times(value: object, path: str) -> None:
    import datetime as dt

    if isinstance(value, dt.date | dt.time):
        raise _TomlTime(path)
    if isinstance(value, dict):
        for k, v in value.items():
            _reject_toml_times(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _reject_toml_times(v, f"{path}[{i}]")


def _toml_error_line(message: str) -> int | None:
    m = re.search(r"at line ([0-9]+)", message)
    return int(m.group(1)) if m else None


def struct_problems(raw: object, struct_type: type[msgspec.Struct], path: str = "") -> list[Problem]:
    """Every structural problem of `raw` against `struct_type`, field by field, recursively."""
    if not isinstance(raw, dict):
        return [Problem(path=path, message="expected an object")]
    problems: list[Problem] = []
    hints = typing.get_type_hints(struct_type, include_extras=True)
    info = msgspec.structs.fields(struct_type)
    known = {f.encode_name: f for f in info}
    for key in raw:
        if key not in known:
            problems.append(Problem(path=_join(path, key), message="unknown field"))
    for f in info:
        where = _join(path, f.encode_name)
        if f.encode_name not in raw:
            if f.required:
                problems.append(Problem(path=where, message="required field missing"))
            continue
        problems.extend(_value_problems(raw[f.encode_name], hints[f.name], where))
    return problems


def _value_problems(value: object, annotation: Any, path: str) -> list[Problem]:
    base, metas = _unwrap(annotation)
    origin = typing.get_origin(base)
    if origin in (typing.Union, types.UnionType):
        members = typing.get_args(base)
        if value is None and type(None) in members:
            return []
        rest = [m for m in members if m is not type(None)]
        if len(rest) == 1:
            return _value_problems(value, rest[0], path)
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        return struct_problems(value, base, path)
    if origin is list:
        (elem,) = typing.get_args(base)
        elem_base, _ = _unwrap(elem)
        if isinstance(elem_base, type) and issubclass(elem_base, msgspec.Struct):
            if not isinstance(value, list):
                return [Problem(path=path, message="expected an array")]
            problems = _meta_problems(value, metas, path)
            for i, v in enumerate(value):
                problems.extend(struct_problems(v, elem_base, f"{path}[{i}]"))
            return problems
    try:
        msgspec.convert(value, annotation)
    except msgspec.ValidationError as exc:
        message = re.sub(r" - at `\$[^`]*`$", "", str(exc))
        if typing.get_origin(base) is Literal:
            allowed = " | ".join(str(a) for a in typing.get_args(base))
            message = f"must be one of {allowed}"
        return [Problem(path=path, message=message)]
    return []


def _meta_problems(value: list, metas: list[msgspec.Meta], path: str) -> list[Problem]:
    problems = []
    for meta in metas:
        if meta.min_length is not None and len(value) < meta.min_length:
            problems.append(Problem(path=path, message=f"expected at least {meta.min_length} entries"))
        if meta.max_length is not None and len(value) > meta.max_length:
            problems.append(Problem(path=path, message=f"expected at most {meta.max_length} entries"))
    return problems


def _unwrap(annotation: Any) -> tuple[Any, list[msgspec.Meta]]:
    metas: list[msgspec.Meta] = []
    while typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        annotation = args[0]
        metas.extend(a for a in args[1:] if isinstance(a, msgspec.Meta))
    return annotation, metas


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- checklist rules that no type expresses ---------------------------------------------------

_KIND_FIELDS = {
    "yes_no": {"pass_answer"},
    "scale": {"min", "max", "pass_at"},
    "duration": {"limit_s", "zero_at_s"},
    "choice": {"options"},
}
_KIND_SPECIFIC = {"pass_answer", "min", "max", "pass_at", "limit_s", "zero_at_s", "options"}


def checklist_rule_problems(raw: dict[str, JsonValue]) -> list[Problem]:
    """The rules of the checklist language beyond field types, checked on the raw document."""
    problems: list[Problem] = _title_problems(raw.get("title"), "title")
    codes: dict[str, str] = {}
    item_ids: dict[str, str] = {}
    standards = raw.get("standards")
    for si, standard in enumerate(standards if isinstance(standards, list) else []):
        if not isinstance(standard, dict):
            continue
        spath = f"standards[{si}]"
        problems.extend(_title_problems(standard.get("title"), f"{spath}.title"))
        code = standard.get("code")
        if isinstance(code, str):
            if code in codes:
                problems.append(
                    Problem(path=f"{spath}.code", message=f"duplicate standard code {code!r} (also {codes[code]})")
                )
            else:
                codes[code] = spath
        items = standard.get("items")
        for ii, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                problems.extend(_item_rule_problems(item, f"{spath}.items[{ii}]", item_ids))
    return problems


def _title_problems(title: object, path: str) -> list[Problem]:
    """A checklist's or a standard's title is one line of text in each language (checklists/text.py).

    Checked when a version is published, not by the type: a version stored before the rule must
    still decode when a tablet pushes a visit made on it.
    """
    if not isinstance(title, dict):
        return []
    texts = ((lang, text) for lang, text in title.items() if isinstance(text, str) and text)
    return [Problem(path=f"{path}.{lang}", message=why) for lang, text in texts if (why := one_line_problem(text))]


def _item_rule_problems(item: dict, path: str, seen: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    item_id = item.get("id")
    if isinstance(item_id, str):
        if item_id in seen:
            problems.append(Problem(path=f"{path}.id", message=f"duplicate item id {item_id!r} (also {seen[item_id]})"))
        else:
            seen[item_id] = path
    kind = item.get("kind")
    if kind not in ("yes_no", "scale", "duration", "choice", "number", "text", "photo", "audio"):
        return problems  # the type pass already reported an unknown kind
    allowed = _KIND_FIELDS.get(kind, set())
    for key in sorted(_KIND_SPECIFIC - allowed):
        if key in item:
            problems.append(Problem(path=f"{path}.{key}", message=f"not allowed for kind {kind!r}"))
    if kind not in _KIND_FIELDS and item.get("critical") is not None:
        problems.append(
            Problem(path=f"{path}.critical", message=f"kind {kind!r} is not scored, so it cannot be critical")
        )
    if kind not in _KIND_FIELDS and item.get("na_allowed"):
        problems.append(
            Problem(path=f"{path}.na_allowed", message=f"kind {kind!r} is not scored; N/A means nothing for it")
        )
    if kind == "scale":
        lo, hi, pass_at = item.get("min"), item.get("max"), item.get("pass_at")
        for key in ("min", "max"):
            if key not in item:
                problems.append(Problem(path=f"{path}.{key}", message="required for kind 'scale'"))
        if _is_int(lo) and _is_int(hi):
            if lo >= hi:
                problems.append(Problem(path=f"{path}.max", message=f"must be greater than min ({lo})"))
            elif _is_int(pass_at) and not lo <= pass_at <= hi:
                problems.append(Problem(path=f"{path}.pass_at", message=f"must be within min..max ({lo}..{hi})"))
    if kind == "duration":
        limit, zero_at = item.get("limit_s"), item.get("zero_at_s")
        if "limit_s" not in item:
            problems.append(Problem(path=f"{path}.limit_s", message="required for kind 'duration'"))
        if _is_int(limit) and _is_int(zero_at) and zero_at <= limit:
            problems.append(Problem(path=f"{path}.zero_at_s", message=f"must be greater than limit_s ({limit})"))
    if kind == "choice":
        options = item.get("options")
        if not isinstance(options, list) or len(options) < 2:
            problems.append(Problem(path=f"{path}.options", message="kind 'choice' needs at least 2 options"))
        else:
            ids: set[str] = set()
            best = 0.0
            for oi, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                oid = option.get("id")
                if isinstance(oid, str):
                    if oid in ids:
                        problems.append(
                            Problem(path=f"{path}.options[{oi}].id", message=f"duplicate option id {oid!r}")
                        )
                    ids.add(oid)
                score = option.get("score")
                if isinstance(score, int | float) and not isinstance(score, bool):
                    best = max(best, float(score))
            if best != 1.0:
                problems.append(
                    Problem(path=f"{path}.options", message="no option scores 1, so the item could never pass")
                )
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_PATH_RE = re.compile(r"^standards\[([0-9]+)\](?:\.items\[([0-9]+)\])?")


def locate(problems: list[Problem], raw: dict, text: str, fmt: str) -> list[Problem]:
    """Add the source line (the line of the standard's code or the item's id) where it can be found."""
    out = []
    for p in problems:
        line = p.line
        m = _PATH_RE.match(p.path)
        if line is None and m:
            key, ident, occurrence = _anchor(raw, int(m.group(1)), m.group(2))
            if ident is not None:
                line = _find_line(text, key, ident, fmt, occurrence)
        out.append(msgspec.structs.replace(p, line=line) if line != p.line else p)
    return out


def _anchor(raw: dict, si: int, ii: str | None) -> tuple[str, str | None, int]:
    """The key and value that mark a standard or item in the source, and which occurrence it is."""
    try:
        standards = raw["standards"]
        if ii is not None:
            ident = standards[si]["items"][int(ii)]["id"]
            earlier = [
                it.get("id")
                for s in standards[:si] + [{"items": standards[si]["items"][: int(ii)]}]
                for it in (s.get("items") or [] if isinstance(s, dict) else [])
                if isinstance(it, dict)
            ]
            return "id", ident if isinstance(ident, str) else None, earlier.count(ident)
        code = standards[si]["code"]
        earlier = [s.get("code") for s in standards[:si] if isinstance(s, dict)]
        return "code", code if isinstance(code, str) else None, earlier.count(code)
    except (KeyError, IndexError, TypeError, AttributeError):
        return "", None, 0


def _find_line(text: str, key: str, ident: str, fmt: str, occurrence: int) -> int | None:
    quoted = re.escape(ident)
    pattern = rf'^\s*{key}\s*=\s*"{quoted}"' if fmt == "toml" else rf'"{key}"\s*:\s*"{quoted}"'
    for n, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            if occurrence == 0:
                return n
            occurrence -= 1
    return None


class LoadedChecklist(msgspec.Struct, frozen=True, kw_only=True):
    """A valid checklist version with its raw document and content hash."""

    checklist: Checklist
    raw: dict[str, JsonValue]
    sha256: str


def load_checklist(data: bytes, fmt: str = "toml", source: str = "<body>") -> LoadedChecklist:
    """Decode and validate one checklist version, or raise Invalid with every problem."""
    # Stored (and hashed) in NFC: the same title typed on two keyboards is one checklist.
    raw = stored_strings(decode_document(data, fmt, source))
    problems = struct_problems(raw, Checklist) + checklist_rule_problems(raw)
    if problems:
        text = data.decode("utf-8", errors="replace")
        raise Invalid(source, locate(problems, raw, text, fmt))
    checklist = msgspec.convert(raw, Checklist)
    return LoadedChecklist(checklist=checklist, raw=raw, sha256=content_hash(raw))
