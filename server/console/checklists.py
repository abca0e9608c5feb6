"""Administration: checklist and policy versions — list, view, a side-by-side diff, publish, retire.

Publishing runs the API's own steps (`checklists.validate.load_checklist` or
`reports.policy.load_policy`, then the store's `publish`), so an uploaded TOML file is checked
exactly as `POST /v1/checklists` or `POST /v1/policies` checks a body: every problem is listed
and nothing is written when there is one. Retiring is the API's `store.retire`. The diff of two
checklist versions is `checklists.diff.diff_versions`, shown with the old and new value of each
changed field.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from checklists.diff import diff_versions
from checklists.model import Checklist
from checklists.validate import Invalid, load_checklist
from reports.policy import Policy, load_policy
from server.appeals import policy_publisher
from server.console.web import console, language_of, page, redirect
from server.db import Database
from server.errors import ProblemError, not_found
from server.settings import Settings
from server.store import checklists as checklists_store
from server.store import policies as policies_store
from server.wire import ascii_integer

ADMIN = console("admin")
MAX_LISTED = 10_000  # versions the list page reads (a real organisation has tens)
LANG_KEYS = ("ru", "kk", "en")


def version_number(text: str | None) -> int | None:
    """A version number from a path or query (ASCII digits, 1..1,000,000), else None."""
    number = ascii_integer(text) if isinstance(text, str) and len(text) <= 8 else None
    return number if number is not None and 1 <= number <= 1_000_000 else None


def shown_value(value: object, lang: str) -> str:
    """A field's value (JSON builtins) as one line: a text in three languages shows the viewer's."""
    if value is None:
        return "—"
    if isinstance(value, dict) and set(value) <= set(LANG_KEYS) and value:
        return str(value.get(lang) or value.get("ru") or "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return decimal(value, lang)
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode("utf-8")


def decimal(x: float, lang: str) -> str:
    """A setting's number as written, with the language's decimal mark: 1.15 -> "1,15" (ru, kk)."""
    text = f"{x:g}"
    return text if lang == "en" else text.replace(".", ",")


def changed_texts(old: object, new: object) -> tuple[str, str] | None:
    """For a text in three languages changed in some: both sides, each language that changed (`kk: ...`)."""
    if not (isinstance(old, dict) and isinstance(new, dict) and set(old) | set(new) <= set(LANG_KEYS)):
        return None
    langs = [k for k in LANG_KEYS if old.get(k) != new.get(k)]
    return (
        "; ".join(f"{k}: {old.get(k) or '—'}" for k in langs),
        "; ".join(f"{k}: {new.get(k) or '—'}" for k in langs),
    )


def _file_format(name: str) -> str:
    return "json" if name.lower().endswith(".json") else "toml"


async def read_and_close(upload: UploadFile) -> bytes:
    """An uploaded file's bytes; its temporary file is closed at once (Litestar leaves that to the handler)."""
    try:
        return await upload.read()
    finally:
        await upload.close()


async def _uploaded(request: Request) -> tuple[bytes, str] | None:
    """The bytes and name of the form's `file`, or None when no (non-empty) file was sent."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return None
    data = await read_and_close(upload)
    if not data:
        return None
    return data, (upload.filename or "upload.toml").replace("\\", "/").rsplit("/", 1)[-1][:200]


# --- checklists ---------------------------------------------------------------------------------------


def all_checklist_rows(c: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every published checklist version in (id, version) order, read in pages as the API's list."""
    rows: list[sqlite3.Row] = []
    after: tuple[str, int] = ("", 0)
    while len(rows) < MAX_LISTED:
        chunk = checklists_store.list_rows(c, after, 1000, None)
        rows += chunk
        if len(chunk) < 1000:
            break
        after = (chunk[-1]["checklist_id"], chunk[-1]["version"])
    return rows


def _checklist_groups(rows: list[sqlite3.Row], lang: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        cl = checklists_store.checklist_of(r)
        group = groups.setdefault(r["checklist_id"], {"id": r["checklist_id"], "versions": []})
        group["title"] = cl.title.get(lang)  # the latest version's title
        group["unit_kind"] = cl.unit_kind
        group["versions"].append(
            {
                "version": r["version"],
                "title": cl.title.get(lang),
                "unit_kind": cl.unit_kind,
                "published_at": r["published_at"],
                "retired_at": r["retired_at"],
                "sha256": r["sha256"],
                "standards": len(cl.standards),
                "item_count": sum(len(s.items) for s in cl.standards),
            }
        )
    return list(groups.values())


def _done(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in ("published", "same", "retired") else None


@get("/admin/checklists", opt=ADMIN, include_in_schema=False)
async def checklists_page(request: Request, db: NamedDependency[Database]) -> Template:
    """Every checklist with its versions (status, retired), a diff picker and the publish link."""
    rows = await db.read(all_checklist_rows)
    return page(request, "checklists_list.html", groups=_checklist_groups(rows, language_of(request)))


def _checklist_row(c: sqlite3.Connection, checklist_id: str, version: int) -> sqlite3.Row | None:
    return checklists_store.get_row(c, checklist_id, version) if len(checklist_id) <= 64 else None


async def _version_row(db: Database, checklist_id: str, version: str) -> sqlite3.Row:
    number = version_number(version)
    row = await db.read(_checklist_row, checklist_id, number) if number is not None else None
    if row is None:
        raise not_found("checklist version")
    return row


@get("/admin/checklists/{checklist_id:str}/{version:str}", opt=ADMIN, include_in_schema=False)
async def checklist_version_page(
    request: Request, db: NamedDependency[Database], checklist_id: FromPath[str], version: FromPath[str]
) -> Template:
    """One version: its standards and items in the viewer's language."""
    row = await _version_row(db, checklist_id, version)
    return page(
        request,
        "checklists_version.html",
        row=row,
        checklist=checklists_store.checklist_of(row),
        done=_done(request),
    )


def _versions_of(c: sqlite3.Connection, checklist_id: str) -> list[sqlite3.Row]:
    return checklists_store.list_rows(c, ("", 0), 1000, checklist_id) if len(checklist_id) <= 64 else []


@get("/admin/checklists/{checklist_id:str}/diff", opt=ADMIN, include_in_schema=False)
async def checklist_diff_page(request: Request, db: NamedDependency[Database], checklist_id: FromPath[str]) -> Template:
    """Two versions side by side (`?a=1&b=2`, by default the last two): each change with its old and new value."""
    rows = await db.read(_versions_of, checklist_id)
    if not rows:
        raise not_found("checklist")
    by_version = {r["version"]: r for r in rows}
    a, b = _pair(request, [r["version"] for r in rows])
    if a not in by_version or b not in by_version:
        raise not_found("checklist version")
    lang = language_of(request)
    old, new = checklists_store.checklist_of(by_version[a]), checklists_store.checklist_of(by_version[b])
    return page(
        request,
        "checklists_diff.html",
        checklist_id=checklist_id,
        versions=sorted(by_version),
        a=a,
        b=b,
        title=new.title.get(lang),
        changes=_diff_rows(old, new, lang),
    )


def _pair(request: Request, versions: list[int]) -> tuple[int | None, int | None]:
    """The versions `?a=` and `?b=` name; without them the last two (a version alone compares with itself)."""
    given_a, given_b = request.query_params.get("a"), request.query_params.get("b")
    if given_a is None and given_b is None:
        ordered = sorted(versions)
        return ordered[-2] if len(ordered) > 1 else ordered[-1], ordered[-1]
    return version_number(given_a), version_number(given_b)


def _element_text(checklist: Checklist, what: str, ident: str, lang: str) -> str:
    for standard in checklist.standards:
        if what == "standard" and standard.code == ident:
            return standard.title.get(lang)
        for item in standard.items:
            if what == "item" and item.id == ident:
                return item.text.get(lang)
    return ""


def _diff_rows(old: Checklist, new: Checklist, lang: str) -> list[dict[str, Any]]:
    """One row per added or removed standard or item, and per changed field: its old and new value."""
    out = []
    for change in diff_versions(old, new):
        if change.how == "added":
            out.append(_change_row(change, "", "—", _element_text(new, change.what, change.id, lang)))
        elif change.how == "removed":
            out.append(_change_row(change, "", _element_text(old, change.what, change.id, lang), "—"))
        else:
            for field in change.fields:
                before, after = change.old.get(field), change.new.get(field)
                texts = changed_texts(before, after)
                old_text, new_text = texts or (shown_value(before, lang), shown_value(after, lang))
                out.append(_change_row(change, field, old_text, new_text))
    return out


def _change_row(change: Any, field: str, old: str, new: str) -> dict[str, Any]:
    return {"what": change.what, "id": change.id, "how": change.how, "field": field, "old": old, "new": new}


@get("/admin/checklists/publish", opt=ADMIN, include_in_schema=False)
async def checklist_publish_form(request: Request, settings: NamedDependency[Settings]) -> Template:
    """Upload a checklist version as a TOML file."""
    return _publish_page(request, settings, "checklists_publish.html")


def _publish_page(
    request: Request,
    settings: Settings,
    template: str,
    status: int = 200,
    problems: list[str] | None = None,
    error: str | None = None,
    detail: str | None = None,
    filename: str | None = None,
) -> Template:
    return page(
        request,
        template,
        status=status,
        problems=problems or [],
        error=error,
        detail=detail,
        filename=filename,
        max_mb=settings.max_body_bytes // (1024 * 1024),
    )


async def _publish_upload(
    request: Request, db: Database, settings: Settings, kind: str, load: Any, publish: Any
) -> Response:
    """Check an uploaded TOML as the API's publish does, then publish it; or list every problem, writing nothing.

    `kind` is `checklists` or `policies`; `load` is the API's loader, `publish` its store function.
    """
    template = f"{kind}_publish.html"
    uploaded = await _uploaded(request)
    if uploaded is None:
        return _publish_page(request, settings, template, 400, error="choose_file")
    data, name = uploaded
    try:
        loaded = load(data, _file_format(name), name)
    except Invalid as exc:
        return _publish_page(request, settings, template, 400, problems=exc.lines(), error="invalid", filename=name)
    try:
        created = await db.write(publish, loaded)
    except ProblemError as exc:  # 409: that version exists with other content
        return _publish_page(request, settings, template, exc.status, error=exc.code, detail=exc.detail, filename=name)
    doc = loaded.checklist if kind == "checklists" else loaded.policy
    return redirect(f"/admin/{kind}/{doc.id}/{doc.version}?done={'published' if created else 'same'}")


@post("/admin/checklists/publish", opt=ADMIN, include_in_schema=False, status_code=303)
async def checklist_publish(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Response:
    """Check the file as `POST /v1/checklists` does and publish it; or list every problem, writing nothing."""
    return await _publish_upload(request, db, settings, "checklists", load_checklist, checklists_store.publish)


@get("/admin/checklists/{checklist_id:str}/{version:str}/retire", opt=ADMIN, include_in_schema=False)
async def checklist_retire_form(
    request: Request, db: NamedDependency[Database], checklist_id: FromPath[str], version: FromPath[str]
) -> Template:
    """The confirmation before a version is retired."""
    row = await _version_row(db, checklist_id, version)
    return page(request, "checklists_retire.html", row=row, checklist=checklists_store.checklist_of(row))


@post("/admin/checklists/{checklist_id:str}/{version:str}/retire", opt=ADMIN, include_in_schema=False, status_code=303)
async def checklist_retire(
    request: Request, db: NamedDependency[Database], checklist_id: FromPath[str], version: FromPath[str]
) -> Redirect:
    """Retire the version (as `POST /v1/checklists/{id}/versions/{v}/retire`): no new assignments use it."""
    row = await _version_row(db, checklist_id, version)
    await db.write(checklists_store.retire, row["checklist_id"], row["version"])
    return redirect(f"/admin/checklists/{row['checklist_id']}/{row['version']}?done=retired")


# --- policies -----------------------------------------------------------------------------------------


def _policy_groups(rows: list[sqlite3.Row], lang: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = policies_store.policy_of(r)
        group = groups.setdefault(r["policy_id"], {"id": r["policy_id"], "versions": []})
        group["title"] = p.title.get(lang)
        group["versions"].append(
            {
                "version": r["version"],
                "title": p.title.get(lang),
                "published_at": r["published_at"],
                "sha256": r["sha256"],
            }
        )
    return list(groups.values())


@get("/admin/policies", opt=ADMIN, include_in_schema=False)
async def policies_page(request: Request, db: NamedDependency[Database]) -> Template:
    """Every policy version, the one ruling open months marked; a diff picker and the publish link."""
    rows = await db.read(policies_store.list_rows)
    latest = (rows[-1]["policy_id"], rows[-1]["version"]) if rows else None
    return page(request, "policies_list.html", groups=_policy_groups(rows, language_of(request)), latest=latest)


def _policy_row(c: sqlite3.Connection, policy_id: str, version: int) -> sqlite3.Row | None:
    return policies_store.get_row(c, policy_id, version) if len(policy_id) <= 64 else None


def policy_settings(policy: Policy, lang: str) -> list[tuple[str, str]]:
    """Every setting of a policy as (name, value shown), in a fixed order."""
    out = [(f"title.{k}", getattr(policy.title, k)) for k in LANG_KEYS]
    out += [
        ("confidence", shown_value(policy.confidence, lang)),
        ("min_visits", decimal(policy.min_visits, lang)),
        ("neutral_coefficient", shown_value(policy.neutral_coefficient, lang)),
    ]
    out += [
        (f"bands[{i}]", f"≥ {shown_value(b.min_score, lang)} → {shown_value(b.coefficient, lang)}")
        for i, b in enumerate(policy.bands)
    ]
    out += [
        ("rag.green_at", shown_value(policy.rag.green_at, lang)),
        ("rag.amber_at", shown_value(policy.rag.amber_at, lang)),
    ]
    return out


@get("/admin/policies/{policy_id:str}/{version:str}", opt=ADMIN, include_in_schema=False)
async def policy_version_page(
    request: Request, db: NamedDependency[Database], policy_id: FromPath[str], version: FromPath[str]
) -> Template:
    """One policy version: every setting."""
    number = version_number(version)
    row = await db.read(_policy_row, policy_id, number) if number is not None else None
    if row is None:
        raise not_found("policy version")
    policy = policies_store.policy_of(row)
    lang = language_of(request)
    return page(
        request,
        "policies_version.html",
        row=row,
        policy=policy,
        settings_shown=policy_settings(policy, lang),
        done=_done(request),
    )


def _policy_versions(c: sqlite3.Connection, policy_id: str) -> list[sqlite3.Row]:
    return [r for r in policies_store.list_rows(c) if r["policy_id"] == policy_id]


@get("/admin/policies/{policy_id:str}/diff", opt=ADMIN, include_in_schema=False)
async def policy_diff_page(request: Request, db: NamedDependency[Database], policy_id: FromPath[str]) -> Template:
    """Two versions of a policy: every setting with its old and new value, the changed ones marked."""
    rows = await db.read(_policy_versions, policy_id)
    if not rows:
        raise not_found("policy")
    by_version = {r["version"]: r for r in rows}
    a, b = _pair(request, list(by_version))
    if a not in by_version or b not in by_version:
        raise not_found("policy version")
    lang = language_of(request)
    old = dict(policy_settings(policies_store.policy_of(by_version[a]), lang))
    new = dict(policy_settings(policies_store.policy_of(by_version[b]), lang))
    names = list(old) + [n for n in new if n not in old]
    settings_rows = [
        {"name": n, "old": old.get(n, "—"), "new": new.get(n, "—"), "changed": old.get(n) != new.get(n)} for n in names
    ]
    return page(
        request,
        "policies_diff.html",
        policy_id=policy_id,
        versions=sorted(by_version),
        a=a,
        b=b,
        rows=settings_rows,
        changed=sum(1 for r in settings_rows if r["changed"]),
    )


@get("/admin/policies/publish", opt=ADMIN, include_in_schema=False)
async def policy_publish_form(request: Request, settings: NamedDependency[Settings]) -> Template:
    """Upload a policy version as a TOML file."""
    return _publish_page(request, settings, "policies_publish.html")


@post("/admin/policies/publish", opt=ADMIN, include_in_schema=False, status_code=303)
async def policy_publish(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Response:
    """Check the file as `POST /v1/policies` does and publish it; or list every problem, writing nothing."""
    publish = policy_publisher(db, ZoneInfo(settings.timezone))
    return await _publish_upload(request, db, settings, "policies", load_policy, publish)


ROUTES = [
    checklists_page,
    checklist_publish_form,
    checklist_publish,
    checklist_diff_page,
    checklist_version_page,
    checklist_retire_form,
    checklist_retire,
    policies_page,
    policy_publish_form,
    policy_publish,
    policy_diff_page,
    policy_version_page,
]
