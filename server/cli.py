"""The `tekseru` command.

Exit status 0 on success; 1 on a user error, with a message on stderr that says what and where
(file, line, field) and never a traceback; 2 when the arguments themselves are wrong (argparse);
141 when the reader of its output went away (`tekseru users list | head -1`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import errno
import os
import re
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import msgspec
import uvicorn

from checklists.validate import Invalid, load_checklist
from server.admin_client import ApiError, admin_client, checked, running_server_url
from server.files import write_private
from server.local_admin import SERVER_URL_FILE
from server.periods import PERIOD_PATTERN
from server.settings import Settings, settings_from_env


class UserError(Exception):
    """A mistake of the caller: printed as one line (plus details) on stderr, exit 1."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _warn(line: str) -> None:
    sys.stderr.write(f"tekseru: warning: {line}\n")


# --- serve ---------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    from server.app import create_app
    from server.transport import guarded_http_protocol
    from server.workers import tune_gc

    if running_server_url(settings):
        raise UserError(f"a server is already running on {settings.data_dir}")
    settings = settings_from_env(host=args.host, port=args.port, data_dir=settings.data_dir)
    workers = args.workers
    if workers < 1:
        raise UserError("--workers takes a number of processes, 1 or more")
    if workers > 1 and not settings.database_url:
        raise UserError(
            "--workers above 1 needs PostgreSQL (TEKSERU_DATABASE_URL=postgresql://...)",
            ["SQLite has one writer: serve it from one process (its push and render workers use every core)"],
        )
    # The port first: one in use is a one-line error before the database is touched.
    listener = _listen(settings.host, settings.port)
    new_store = not settings.database_url and not settings.db_path.exists()
    report = _prepared(settings, args.demo)
    if new_store:
        _out(f"created a new database in {settings.data_dir.resolve()}")
    for line in report:
        _out(line)
    sys.stdout.flush()
    url = f"http://{_url_host(settings.host)}:{listener.getsockname()[1]}"
    announcement = (
        f"serving on {url}  (data in {settings.data_dir.resolve()})\nconsole (office users, in a browser): {url}/"
    )
    tune_gc()
    if workers > 1:
        _serve_processes(settings, listener, workers, url, announcement)
        return
    config = uvicorn.Config(
        create_app(settings, announce_url=url),
        **_uvicorn_options(settings, listener),
        http=guarded_http_protocol(settings.client_timeout_s),
    )
    server = _AnnouncingServer(config, announcement)
    server.run(sockets=[listener])
    if not server.started:
        raise UserError("the server did not start (see the lines above)")


def _prepared(settings: Settings, demo: bool) -> list[str]:
    """`prepare` the store, or a UserError when PostgreSQL cannot be reached or used."""
    from server.bootstrap import prepare

    if not settings.database_url:
        return asyncio.run(prepare(settings, demo=demo))
    import psycopg

    from server.pg import UnsuitableDatabase, redacted

    try:
        return asyncio.run(prepare(settings, demo=demo))
    except UnsuitableDatabase as exc:
        raise UserError(str(exc)) from None
    except psycopg.OperationalError as exc:
        raise UserError(f"cannot reach PostgreSQL at {redacted(settings.database_url)}: {exc}") from None


def _uvicorn_options(settings: Settings, listener: socket.socket) -> dict:
    from server.transport import KEEP_ALIVE_S

    return {
        "host": settings.host,
        "port": listener.getsockname()[1],
        "log_level": "warning" if settings.log_level == "info" else settings.log_level,
        "access_log": False,
        "lifespan": "on",
        "timeout_keep_alive": KEEP_ALIVE_S,
        # No `limit_concurrency`: uvicorn counts idle connections against it, so a few hundred
        # slow or stalled clients would turn every other request (health checks too) into a 503.
        # A waiting client costs an idle socket on the event loop; the deadlines free it.
    }


def _serve_processes(settings: Settings, listener: socket.socket, workers: int, url: str, announcement: str) -> None:
    """`workers` server processes on one listening socket (PostgreSQL only), kept running by uvicorn's supervisor.

    Each process builds the app from the environment (`server.app:create_app`), so the settings
    this command was given are passed on as `TEKSERU_*` variables. A process that dies is started
    again; the others go on serving meanwhile. This process announces the URL for the command line.
    """
    from uvicorn.supervisors import Multiprocess

    os.environ["TEKSERU_HOST"] = settings.host
    os.environ["TEKSERU_PORT"] = str(listener.getsockname()[1])
    os.environ["TEKSERU_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["TEKSERU_LOCAL_ADMIN"] = "false"  # made once, here, below: not by each process as it starts
    asyncio.run(_local_admin(settings))
    config = uvicorn.Config(
        "server.app:create_app",
        factory=True,
        workers=workers,
        http="server.transport:FromEnvironment",
        **_uvicorn_options(settings, listener),
    )
    supervisor = Multiprocess(config, sockets=[listener])
    url_file = settings.data_dir / SERVER_URL_FILE
    write_private(url_file, url + "\n")
    _out(f"{announcement}\n{workers} server processes on {settings_store(settings)}")
    sys.stdout.flush()
    try:
        supervisor.run()
    finally:
        with contextlib.suppress(OSError):
            url_file.unlink(missing_ok=True)


async def _local_admin(settings: Settings) -> None:
    from server.bootstrap import make_local_admin
    from server.db import open_database

    db = await open_database(settings)
    try:
        await make_local_admin(db, settings)
    finally:
        await db.close()


def settings_store(settings: Settings) -> str:
    """The store the settings name, for a person: the SQLite file, or PostgreSQL's URL without its password."""
    if settings.database_url:
        from server.pg import redacted

        return redacted(settings.database_url)
    return str(settings.db_path.resolve())


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound and listening on host:port, or a UserError saying why it cannot be."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        hint = ": another program listens there (choose another with --port or TEKSERU_PORT)"
        reason = hint if exc.errno == errno.EADDRINUSE else f": {exc.strerror or exc}"
        raise UserError(f"cannot listen on {host}:{port}{reason}") from None
    return sock


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server that prints where it serves once it does: bound, and the app started."""

    def __init__(self, config: uvicorn.Config, announcement: str) -> None:
        super().__init__(config)
        self.announcement = announcement

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            _out(self.announcement)
            sys.stdout.flush()


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)


# --- users ---------------------------------------------------------------------------------------


def cmd_users(args: argparse.Namespace, settings: Settings) -> None:
    with admin_client(settings) as api:
        if args.action == "add":
            user = {"name": args.name, "role": args.role} | ({"units": args.units} if args.units is not None else {})
            user |= {"region": args.region} if args.region is not None else {}
            body = _call(api.post, "/v1/users", json=user)
            units = f", units {', '.join(sorted(set(args.units)))}" if args.units else ""
            units += f", region {args.region}" if args.region else ""
            _out(f"user {body['name']} ({body['role']}{units}) created; token (shown once):")
            _out(body["token"])
        elif args.action == "units":
            body = _call(api.put, f"/v1/users/{args.name}/units", json={"units": args.units})
            _out(f"{body['name']} now reads units {', '.join(body['units'])}")
        elif args.action == "region":
            body = _call(api.put, f"/v1/users/{args.name}/region", json={"region": args.region})
            _out(f"{body['name']} now works in {body['region'] or 'any region'}")
        elif args.action == "token":
            body = _call(api.post, f"/v1/users/{args.name}/tokens")
            _out(f"new token for {args.name} (shown once):")
            _out(body["token"])
        elif args.action == "password":
            password = _new_password(args.stdin)
            _call(api.put, f"/v1/users/{args.name}/password", json={"password": password})
            _out(f"password of {args.name} set; their console sessions have ended")
        elif args.action == "revoke":
            path = f"/v1/users/{args.name}/tokens" + (f"/{args.token_prefix}" if args.token_prefix else "")
            _call(api.delete, path)
            _out(f"revoked {'token ' + args.token_prefix if args.token_prefix else 'every token'} of {args.name}")
        else:
            for user in _pages(api, "/v1/users"):
                units = f"  units: {','.join(user['units'])}" if user.get("units") else ""
                units += f"  region: {user['region']}" if user.get("region") else ""
                _out(f"{user['name']:<24} {user['role']:<13} tokens: {' '.join(user['token_prefixes']) or '-'}{units}")


def _new_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice at the terminal (not echoed)."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
    else:
        import getpass

        try:
            password = getpass.getpass("new password: ")
            again = getpass.getpass("the same again: ")
        except EOFError:
            raise UserError("no password typed (use --stdin to read one line from standard input)") from None
        if password != again:
            raise UserError("the two passwords differ; nothing was changed")
    if not password:
        raise UserError("the password is empty; nothing was changed")
    return password


# --- checklists ------------------------------------------------------------------------------------


def _read_checklist_file(path: Path) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    return data, "json" if path.suffix.lower() == ".json" else "toml"


def cmd_checklists(args: argparse.Namespace, settings: Settings) -> None:
    if args.action == "validate":
        problems: list[str] = []
        for name in args.files:
            data, fmt = _read_checklist_file(Path(name))
            try:
                loaded = load_checklist(data, fmt, name)
            except Invalid as exc:
                problems.extend(exc.lines())
                continue
            c = loaded.checklist
            items = sum(len(s.items) for s in c.standards)
            _out(f"{name}: ok — {c.id} v{c.version} ({c.unit_kind}), {len(c.standards)} standards, {items} items")
        if problems:
            raise UserError(f"{len(problems)} problem(s) found", problems)
        return
    if args.action == "publish":
        with admin_client(settings) as api:
            for name in args.files:
                data, fmt = _read_checklist_file(Path(name))
                try:
                    load_checklist(data, fmt, name)
                except Invalid as exc:
                    raise UserError(f"{name}: {len(exc.problems)} problem(s)", exc.lines()) from None
                media = "application/toml" if fmt == "toml" else "application/json"
                response = api.post("/v1/checklists", content=data, headers={"Content-Type": media})
                body = _checked_json(response, name)
                state = "published" if response.status_code == 201 else "already published, unchanged"
                _out(f"{name}: {body['id']} v{body['version']} {state} (sha256 {body['sha256']})")
        return
    from checklists.diff import diff_versions
    from checklists.model import Checklist

    with admin_client(settings) as api:
        old, new = (msgspec.convert(_checklist_version(api, args.id, v), Checklist) for v in (args.v1, args.v2))
    changes = diff_versions(old, new)
    if not changes:
        _out(f"{args.id}: v{args.v1} and v{args.v2} have the same standards and items")
    for change in changes:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        _out(f"{change.how:<8} {change.what:<8} {change.id}{fields}")
        for field in change.fields:
            for path, before, after in _changed_values(field, change.old.get(field), change.new.get(field)):
                _out(f"           {path}: {_shown(before)} -> {_shown(after)}")


def _checklist_version(api: httpx.Client, checklist_id: str, version: int) -> dict:
    """A published version's document; a missing one is named with the versions there are."""
    response = api.get(f"/v1/checklists/{checklist_id}/versions/{version}")
    if response.status_code != 404:
        return _checked_json(response, f"{checklist_id} v{version}")["checklist"]
    published = _pages(api, "/v1/checklists")
    versions = [str(c["version"]) for c in published if c["id"] == checklist_id]
    if versions:
        raise UserError(f"{checklist_id} v{version} does not exist; versions: {', '.join(versions)}")
    ids = sorted({c["id"] for c in published})
    raise UserError(f"no checklist {checklist_id!r}; checklists: {', '.join(ids) or 'none published'}")


def _changed_values(path: str, before: object, after: object) -> list[tuple[str, object, object]]:
    """(path, old, new) of what differs, down into nested tables (`title.kk`), leaves as they are."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(before.keys() | after.keys()):
            if before.get(key) != after.get(key):
                out.extend(_changed_values(f"{path}.{key}", before.get(key), after.get(key)))
        return out
    return [(path, before, after)]


def _shown(value: object) -> str:
    return "(none)" if value is None else msgspec.json.encode(value).decode()


# --- import ----------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace, settings: Settings) -> None:
    if args.entity == "template":
        _import_template(args.template_of)
        return
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    with admin_client(settings) as api:
        response = api.post(f"/v1/admin/import/{args.entity}", content=data, headers={"Content-Type": "text/csv"})
        body = _checked_json(response, str(path))
    _out(f"{path}: imported {body['rows']} {args.entity} row(s)")


def _import_template(entity: str) -> None:
    """The header row and an example row on stdout (a file to fill in); what each column takes on stderr."""
    import csv

    from server.directory import import_template

    template = import_template(entity)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([c.name for c in template])
    writer.writerow([c.example for c in template])
    sys.stdout.flush()
    sys.stderr.write(f"columns of a {entity} file (UTF-8, `,` or `;` between fields, one row per line):\n")
    for column in template:
        sys.stderr.write(f"  {column.name:<14} {'required' if column.required else 'optional'}: {column.takes}\n")


# --- quarantine, rebuild, backup -------------------------------------------------------------------


def cmd_quarantine(args: argparse.Namespace, settings: Settings) -> None:
    with admin_client(settings) as api:
        if args.action == "list":
            items = _pages(api, "/v1/admin/quarantine")
            if not items:
                _out("quarantine is empty")
            for q in items:
                where = f" at {q['path']}" if q.get("path") else ""
                _out(f"{q['id']:>6}  {q['rev_id']}  {q['author']:<16} {q['code']}{where}: {q['reason']}")
            return
        body = _call(api.post, "/v1/admin/quarantine/replay", json={"ids": args.ids or None})
    for item in body["items"]:
        note = f" — {item['problem']}" if item.get("problem") else ""
        _out(f"{item['id']:>6}  {item['rev_id']}  {item['status']}{note}")
    if not body["items"]:
        _out("nothing to replay")


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> None:
    with admin_client(settings) as api:
        body = _call(api.post, "/v1/admin/rebuild")
    _out(f"rebuilt the views of {body['submissions']} submission(s) from their revisions and decisions")
    _out(f"{body['integrity_checks']} integrity check(s) asked for: the server runs them in the background")


def cmd_blobs(args: argparse.Namespace, settings: Settings) -> None:
    with admin_client(settings) as api:
        # Every blob is read whole: on a large store that takes longer than any usual request.
        body = _call(api.post, "/v1/admin/blobs/verify", timeout=None)
    _out(f"checked {body['checked']} blob(s): {body['ok']} ok")
    for label, key in (
        ("damaged (set aside in damaged-blobs/)", "damaged"),
        ("missing file", "missing_file"),
        ("recovered (a right file is back)", "recovered"),
        ("lost earlier, not uploaded again yet", "still_lost"),
    ):
        _out(f"{label}: {len(body[key])}")
        for sha256 in body[key]:
            _out(f"  {sha256}")
    lost = len(body["damaged"]) + len(body["missing_file"]) + len(body["still_lost"])
    if lost:
        raise UserError(
            f"{lost} blob(s) damaged or missing: their visits await evidence until the tablets upload them"
            " again (POST /v1/blobs/missing lists them)"
        )


def cmd_backup(args: argparse.Namespace, settings: Settings) -> None:
    from server.files import backup_target

    path = Path(args.path).absolute()  # the server resolves symlinks and `..`; so does backup_target
    if backup_target(settings.backups, path) is None:
        raise UserError(
            f"{args.path} is outside the backup directory {settings.backups.resolve()}:"
            " write the backup there, or set TEKSERU_BACKUP_DIR"
        )
    with admin_client(settings) as api:
        body = _call(api.post, "/v1/admin/backup", json={"path": str(path), "with_blobs": args.with_blobs})
    _out(f"backup written to {body['path']} ({body['bytes']} bytes)")
    if args.with_blobs:
        _out(f"evidence: {body['blobs_copied']} of {body['blobs']} blob(s) copied to {body['blobs_dir']}")
        if body["blobs_copied"] < body["blobs"]:
            _out("  the others are missing or damaged: `tekseru blobs verify` names them")
    elif settings.blob_store:
        _out(f"evidence: the copy records {body['blobs']} blob(s), kept in {settings.blob_store} (back the bucket up)")
    else:
        _out(
            f"evidence NOT included: the copy records {body['blobs']} blob(s) that stay only in"
            f" {settings.data_dir / 'blobs'}; add --with-blobs to copy them beside the backup"
        )


def cmd_store(args: argparse.Namespace, settings: Settings) -> None:
    from zoneinfo import ZoneInfo

    from server.pg import is_postgres_url, redacted
    from server.store_copy import StoreCopyError, copy_store

    if is_postgres_url(args.to) and settings.db_path.is_file():  # otherwise copy_store says what is wrong
        _out(f"copying the SQLite store {settings.db_path.resolve()} to {redacted(args.to)}")
        sys.stdout.flush()
    try:
        copied = asyncio.run(copy_store(settings.db_path, args.to, ZoneInfo(settings.timezone)))
    except StoreCopyError as exc:
        raise UserError(str(exc)) from None
    for table, rows in copied.rows.items():
        _out(f"  {table:<22} {rows:>10}")
    _out(
        f"copied {sum(copied.rows.values())} rows of {len(copied.rows)} tables and computed the views of"
        f" {copied.submissions} submission(s) in {copied.seconds:.1f} s"
    )
    _out(
        f"the copy holds the store as of {copied.as_of}: what a running server wrote after that is not in it"
        " (stop the server before copying to miss nothing)"
    )
    if settings.blob_store:
        _out(
            f"evidence files are not in the database: they stay in {settings.blob_store}; give every server"
            " of the new store the same TEKSERU_BLOB_STORE"
        )
    else:
        _out(
            f"evidence files are not in the database: they stay in {settings.data_dir.resolve() / 'blobs'}"
            " (unfinished uploads in uploads/ beside it); every server of the new store needs that same blob store:"
            " this directory as its <data dir>/blobs and uploads, or the files moved to its TEKSERU_BLOB_STORE"
        )


# --- policies and periods -------------------------------------------------------------------------


def cmd_policies(args: argparse.Namespace, settings: Settings) -> None:
    from reports.policy import load_policy

    problems: list[str] = []
    loaded = []
    for name in args.files:
        data, fmt = _read_checklist_file(Path(name))
        try:
            policy = load_policy(data, fmt, name)
        except Invalid as exc:
            problems.extend(exc.lines())
            continue
        loaded.append((name, data, fmt, policy))
        if args.action == "validate":
            p = policy.policy
            _out(f"{name}: ok — {p.id} v{p.version}, {len(p.bands)} bands, minimum {p.min_visits} visits")
    if problems:
        raise UserError(f"{len(problems)} problem(s) found", problems)
    if args.action == "publish":
        with admin_client(settings) as api:
            for name, data, fmt, _ in loaded:
                media = "application/toml" if fmt == "toml" else "application/json"
                response = api.post("/v1/policies", content=data, headers={"Content-Type": media})
                body = _checked_json(response, name)
                state = "published" if response.status_code == 201 else "already published, unchanged"
                _out(f"{name}: {body['id']} v{body['version']} {state} (sha256 {body['sha256']})")


def cmd_periods(args: argparse.Namespace, settings: Settings) -> None:
    with admin_client(settings) as api:
        if args.action == "close":
            body = _call(api.post, f"/v1/periods/{args.period}/close", json={"force": args.force})
            _out(
                f"{body['period']} closed: snapshot {body['snapshot_id']}, {len(body['rows'])} rows, "
                f"sha256 {body['sha256']}, policy {body['policy']['id']} v{body['policy']['version']}"
                + (f", carrying {len(body['carried'])} adjustment(s)" if body["carried"] else "")
            )
        elif args.action == "show":
            body = _call(api.get, "/v1/motivation", params={"period": args.period})
            state = f"closed (snapshot {body['snapshot_id']})" if body["closed"] else "open: provisional figures"
            _out(f"{args.period}: {state}; policy {body['policy']['id']} v{body['policy']['version']}")
            for row in body["rows"]:
                score = "-" if row["score"] is None else f"{row['score']:.2f}"
                flags = " ".join(row["flags"])
                _out(
                    f"{row['staff_id']:<10} {row['name']:<32} {score:>7} n={row['n']:<3}"
                    f" x{row['coefficient']:.2f} {flags}"
                )
        else:
            body = _call(api.get, f"/v1/periods/{args.period}/adjustments")
            if not body["pending"] and not body["carried"]:
                _out(f"{args.period}: no change since it was closed")
            for item in body["pending"]:
                _out(f"pending  {item['staff_id']:<10} coefficient change {item['coefficient_change']:+.2f}")
            for item in body["carried"]:
                a = item["adjustment"]
                _out(
                    f"carried  {a['staff_id']:<10} coefficient change {a['coefficient_change']:+.2f}"
                    f" by {item['carried_by']}"
                )


# --- plans ---------------------------------------------------------------------------------------


def cmd_plan(args: argparse.Namespace, settings: Settings) -> None:
    with admin_client(settings) as api:
        if args.action == "draft":
            path = Path(args.file)
            data, fmt = _read_checklist_file(path)
            media = "application/toml" if fmt == "toml" else "application/json"
            plan = _checked_json(api.post("/v1/plans", content=data, headers={"Content-Type": media}), str(path))
            _plan_lines(plan)
            _out(f"publish it: tekseru plan publish {plan['plan_id']}")
        elif args.action == "publish":
            plan = _call(api.post, f"/v1/plans/{args.plan_id}/publish")
            made = sum(1 for v in plan["visits"] if v["assignment_id"])
            _out(f"plan {plan['plan_id']} published: {made} assignments for {plan['period']}")
        elif args.action == "show":
            _plan_lines(_call(api.get, f"/v1/plans/{args.plan_id}"))
        else:
            body = _call(api.get, "/v1/plans/coverage", params={"period": args.period})
            plan = f"plan {body['plan_id']}" if body["plan_id"] else "no published plan"
            _out(f"{body['period']}: {plan}; minimum {body['min_visits']} approved visits per person")
            _out(f"{'unit':<16} {'needed':>6} {'planned':>7} {'done':>5} {'approved':>8}")
            for u in body["units"]:
                mark = "  below minimum" if u["below_minimum"] else ""
                _out(f"{u['unit_id']:<16} {u['needed']:>6} {u['planned']:>7} {u['done']:>5} {u['approved']:>8}{mark}")
            for person in body["staff_below_minimum"]:
                _out(
                    f"staff below minimum: {person['staff_id']} {person['name']} ({person['unit_id']}):"
                    f" {person['approved']} of {person['min_visits']} approved visits"
                )


def _plan_lines(plan: dict) -> None:
    """A plan as `tekseru plan draft|show` prints it: the summary, each visit, then the warnings."""
    _out(
        f"plan {plan['plan_id']} for {plan['period']} ({plan['status']}): {plan['visit_count']} visits,"
        f" {plan['warning_count']} warning(s)"
    )
    for v in plan["visits"]:
        pair = f"  calibrates {v['calibration_of']}" if v["calibration_of"] else ""
        _out(f"  {v['day']} {v['time_from']}-{v['time_to']}  {v['unit_id']:<16} {v['auditor']}{pair}")
    for w in plan["warnings"]:
        _out(f"warning {w['code']}: {w['detail']}")


# --- scorecards ----------------------------------------------------------------------------------


def cmd_scorecards(args: argparse.Namespace, settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    period, kind = args.period, args.unit_kind
    with admin_client(settings) as api:
        units = [u for u in _pages(api, "/v1/units") if u["kind"] == kind and u["active"]]
        if args.unit_id:
            unknown = sorted(set(args.unit_id) - {u["unit_id"] for u in units})
            if unknown:
                raise UserError(f"not an active {kind} unit: {', '.join(map(repr, unknown))}")
            units = [u for u in units if u["unit_id"] in args.unit_id]
        if not units:
            raise UserError(f"no active {kind} units")
        # A scorecard counts approved visits only: a unit without one that month would get an empty card.
        scores = _call(api.get, "/v1/scores/units", params={"period": period, "kind": kind})["items"]
        visits = {row["unit_id"]: row["n"] for row in scores}
        empty = [u["unit_id"] for u in units if not visits.get(u["unit_id"])]
        units = [u for u in units if visits.get(u["unit_id"])]
        if not units:
            params = {"period": period, "kind": kind, "basis": "provisional"}
            waiting = _call(api.get, "/v1/scores/units", params=params)["items"]
            pending = sum(row["n"] for row in waiting if row["unit_id"] in empty)
            note = f" ({pending} visit(s) of that month are not approved yet)" if pending else ""
            _warn(f"no approved visits of {kind} units in {period}{note}: no scorecard built")
            return
        progress = _Progress(len(units), f"{period} {kind} ({args.lang})")

        def one(unit: dict) -> tuple[dict, str]:
            body = {"scope": "unit", "unit_id": unit["unit_id"], "period": period, "lang": args.lang}
            card = _call(api.post, "/v1/scorecards", json=body)
            # The same data as a published card gives that card back (API.md), unchanged.
            if card["status"] == "published":
                state = "already published, unchanged"
            elif args.publish:
                card, state = _call(api.post, f"/v1/scorecards/{card['id']}/publish"), "published"
            else:
                state = "draft"
            progress.step()
            return card, state

        # The server renders each PDF in its worker processes; a few requests in flight keep them busy.
        with ThreadPoolExecutor(max_workers=4) as pool:
            cards = list(pool.map(one, units))
        progress.done()
    counts = {state: sum(1 for _, s in cards if s == state) for state in dict.fromkeys(s for _, s in cards)}
    summary = ", ".join(f"{n} {state}" for state, n in counts.items())
    _out(f"{len(cards)} scorecard(s) for {period}, {kind} ({args.lang}): {summary}")
    for card, state in cards:
        _out(f"  {card['unit_id']:<10} {card['id']}  sha256 {card['sha256']}  {card['size'] // 1024} KB  {state}")
    if empty:
        _out(f"skipped {len(empty)} unit(s) with no approved visits in {period}: {', '.join(empty)}")


class _Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal)."""

    def __init__(self, total: int, label: str) -> None:
        import threading

        self.total, self.label, self.count = total, label, 0
        self.lock = threading.Lock()
        self.tty = sys.stderr.isatty()

    def step(self) -> None:
        with self.lock:
            self.count += 1
            if self.tty:
                filled = int(30 * self.count / self.total)
                sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.count}/{self.total}")
                sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


# --- plumbing ----------------------------------------------------------------------------------


def _call(method: Callable[..., httpx.Response], path: str, **kwargs: object) -> dict:
    response = method(path, **kwargs)
    try:
        checked(response)
    except ApiError as exc:
        raise UserError(exc.message, exc.details) from None
    return response.json() if response.content else {}


def _checked_json(response: httpx.Response, source: str) -> dict:
    try:
        checked(response)
    except ApiError as exc:
        raise UserError(f"{source}: {exc.message}", [f"{source}: {d}" for d in exc.details]) from None
    return response.json()


def _pages(api: httpx.Client, path: str) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        body = _call(api.get, path, params=params)
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def period_argument(value: str) -> str:
    """A period argument as `YYYY-MM`; anything else is an argument error that says how to write it."""
    if not re.fullmatch(PERIOD_PATTERN, value):
        example = dt.date.today().strftime("%Y-%m")
        raise argparse.ArgumentTypeError(f"{value!r} is not a period: use YYYY-MM, e.g. {example}")
    return value


def units_argument(value: str) -> list[str]:
    """Unit ids, comma-separated (spaces around them allowed): `ALM-014,ALM-015`."""
    units = [u.strip() for u in value.split(",")]
    if not all(units):
        raise argparse.ArgumentTypeError(f"{value!r} is not a list of units: use ALM-014,ALM-015")
    return units


def version_argument(value: str) -> int:
    """A checklist version: `2` or `v2`."""
    digits = value.removeprefix("v")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 7:
        raise argparse.ArgumentTypeError(f"{value!r} is not a version: use its number, e.g. 2")
    return int(digits)


def check_store(settings: Settings, named_by: str | None) -> None:
    """Refuse to make up a store where none was asked for: only `serve` creates the default one.

    A command run from the wrong folder would otherwise create an empty `./var` there and answer
    from it ("no users", "quarantine is empty") as if that were the organisation's data.
    """
    if settings.database_url or settings.db_path.exists():
        return  # PostgreSQL: the server holds the store, and `serve` (or a tool) migrates it
    where = settings.data_dir.resolve()
    if named_by is not None:
        # Named on purpose: a first set-up. Made as `serve` makes it, and said, so a typo shows.
        from server.bootstrap import prepare

        sys.stderr.write(f"tekseru: no database in {where} (named by {named_by}): creating a new one\n")
        for line in asyncio.run(prepare(settings)):
            sys.stderr.write(f"  {line}\n")
        return
    raise UserError(
        f"no Tekseru data directory at {where}",
        [
            f"looked in ./var of this folder ({Path.cwd()}), the default: TEKSERU_DATA_DIR is not set",
            "point at yours: tekseru --data-dir /path/to/data ...  or  export TEKSERU_DATA_DIR=/path/to/data",
            "a new installation: `tekseru serve` creates it",
        ],
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `tekseru`."""
    parser = argparse.ArgumentParser(prog="tekseru", description="Tekseru: service-quality audits.")
    parser.add_argument(
        "--data-dir", help="the data directory (default $TEKSERU_DATA_DIR, else ./var; only serve creates it)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="create the data directory if needed, migrate, load the library, serve")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--demo", action="store_true", help="also load the demo organisation")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes on one port (PostgreSQL only; several hosts may each run some)",
    )
    serve.set_defaults(func=cmd_serve, opens_store=False)  # it creates the store: the one command that may

    users = sub.add_parser("users", help="users and their tokens")
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="create a user and print its first token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["admin", "quality_lead", "hr", "auditor", "unit_manager"])
    add.add_argument("--units", type=units_argument, help="a unit manager's units, comma-separated: ALM-014,ALM-015")
    add.add_argument("--region", help="an auditor's region (plans send them only there; default: any region)")
    users_sub.add_parser("token", help="print another token for a user").add_argument("name")
    units = users_sub.add_parser("units", help="bind a unit manager to exactly these units")
    units.add_argument("name")
    units.add_argument("units", type=units_argument, metavar="UNIT,UNIT,...")
    region = users_sub.add_parser("region", help="put an auditor in a region (plans send them only there)")
    region.add_argument("name")
    region.add_argument("region", nargs="?", help="a region of the units; left out: any region")
    revoke = users_sub.add_parser("revoke", help="revoke a user's tokens (or one, by prefix)")
    revoke.add_argument("name")
    revoke.add_argument("--token-prefix")
    password = users_sub.add_parser(
        "password", help="set a user's console password (typed twice, or one line with --stdin)"
    )
    password.add_argument("name")
    password.add_argument("--stdin", action="store_true", help="read the password as one line of standard input")
    users_sub.add_parser("list", help="list users and their live token prefixes")
    users.set_defaults(func=cmd_users)

    cl = sub.add_parser("checklists", help="validate, publish and compare checklist versions")
    cl_sub = cl.add_subparsers(dest="action", required=True)
    cl_validate = cl_sub.add_parser("validate", help="check files, listing every problem")
    cl_validate.add_argument("files", nargs="+")
    cl_validate.set_defaults(opens_store=False)
    cl_sub.add_parser("publish", help="publish files (TOML or JSON)").add_argument("files", nargs="+")
    diff = cl_sub.add_parser("diff", help="what changed between two published versions, with old and new values")
    diff.add_argument("id")
    diff.add_argument("v1", type=version_argument)
    diff.add_argument("v2", type=version_argument)
    cl.set_defaults(func=cmd_checklists)

    imp = sub.add_parser("import", help="import a CSV file of units, staff or assignments (all rows or none)")
    imp_sub = imp.add_subparsers(dest="entity", required=True)
    for entity in ("units", "staff", "assignments"):
        imp_sub.add_parser(entity, help=f"import {entity} (see: tekseru import template {entity})").add_argument("file")
    template = imp_sub.add_parser("template", help="print a file's header row and an example row; columns on stderr")
    template.add_argument("template_of", metavar="units|staff|assignments", choices=["units", "staff", "assignments"])
    template.set_defaults(opens_store=False)
    imp.set_defaults(func=cmd_import)
    pol = sub.add_parser("policies", help="validate and publish motivation policies")
    pol_sub = pol.add_subparsers(dest="action", required=True)
    pol_validate = pol_sub.add_parser("validate", help="check files, listing every problem")
    pol_validate.add_argument("files", nargs="+")
    pol_validate.set_defaults(opens_store=False)
    pol_sub.add_parser("publish", help="publish files (TOML or JSON)").add_argument("files", nargs="+")
    pol.set_defaults(func=cmd_policies)

    per = sub.add_parser("periods", help="close a month, show its figures and later adjustments")
    per_sub = per.add_subparsers(dest="action", required=True)
    close = per_sub.add_parser("close", help="freeze the month's motivation snapshot")
    close.add_argument("period", type=period_argument, help="YYYY-MM")
    close.add_argument("--force", action="store_true", help="close even while submissions await review")
    per_sub.add_parser("show", help="the month's motivation rows").add_argument(
        "period", type=period_argument, help="YYYY-MM"
    )
    per_sub.add_parser("adjustments", help="what changed after the close").add_argument(
        "period", type=period_argument, help="YYYY-MM"
    )
    per.set_defaults(func=cmd_periods)

    plan = sub.add_parser("plan", help="draft a month's assignment plan, publish it, see the month's coverage")
    plan_sub = plan.add_subparsers(dest="action", required=True)
    plan_sub.add_parser("draft", help="draft the month a plan policy file names (TOML or JSON)").add_argument("file")
    plan_sub.add_parser("publish", help="publish a draft as assignments").add_argument("plan_id")
    plan_sub.add_parser("show", help="a plan's visits and warnings").add_argument("plan_id")
    plan_sub.add_parser("coverage", help="per unit needed, planned, done, approved; who is below minimum").add_argument(
        "period", type=period_argument, help="YYYY-MM"
    )
    plan.set_defaults(func=cmd_plan)

    cards = sub.add_parser("scorecards", help="render (and publish) the scorecards of every unit of a kind")
    cards_sub = cards.add_subparsers(dest="action", required=True)
    build = cards_sub.add_parser(
        "build", help="render the units of a kind that have approved visits in the period (others are skipped)"
    )
    build.add_argument("--period", required=True, type=period_argument, help="YYYY-MM")
    build.add_argument("--unit-kind", required=True, choices=["branch", "contact_centre", "field_technician"])
    build.add_argument("--lang", default="ru", choices=["ru", "kk", "en"])
    build.add_argument("--unit-id", action="append", help="only these units (repeat the option)")
    build.add_argument("--publish", action="store_true", help="publish them (immutable from then on)")
    cards.set_defaults(func=cmd_scorecards)

    quarantine = sub.add_parser("quarantine", help="revisions that could not be used")
    q_sub = quarantine.add_subparsers(dest="action", required=True)
    q_sub.add_parser("list", help="list them with the reason and field path")
    replay = q_sub.add_parser("replay", help="try them again (all, or the given quarantine ids)")
    replay.add_argument("ids", nargs="*", type=int)
    quarantine.set_defaults(func=cmd_quarantine)

    rebuild = sub.add_parser("rebuild", help="recompute every derived view from the revisions and decisions")
    rebuild.set_defaults(func=cmd_rebuild)

    blobs = sub.add_parser("blobs", help="evidence files at rest")
    blobs_sub = blobs.add_subparsers(dest="action", required=True)
    blobs_sub.add_parser(
        "verify", help="hash every stored blob; exit 1 if any is damaged or missing (their visits await it again)"
    )
    blobs.set_defaults(func=cmd_blobs)

    backup = sub.add_parser(
        "backup",
        help="write a consistent copy of the database (evidence blobs only with --with-blobs)",
        description="Write a consistent copy of the database to PATH, which must lie in the backup directory"
        " (TEKSERU_BACKUP_DIR, default <data dir>/backups). The copy does NOT include the evidence files"
        " (photos, audio) unless --with-blobs is given: they are then copied, each checked against its SHA-256,"
        " to PATH.blobs/ in the data directory's layout (restore: the copy as tekseru.sqlite3, PATH.blobs as blobs).",
    )
    backup.add_argument("path", help="a new file in the backup directory")
    backup.add_argument(
        "--with-blobs", action="store_true", help="also copy the evidence blobs the copy records, to PATH.blobs/"
    )
    backup.set_defaults(func=cmd_backup)

    store = sub.add_parser("store", help="the store itself: copy it to PostgreSQL")
    store_sub = store.add_subparsers(dest="action", required=True)
    store_copy = store_sub.add_parser(
        "copy",
        help="copy the SQLite store into a new, empty PostgreSQL database (evidence files stay where they are)",
        description="Copy the SQLite store of the data directory into an empty PostgreSQL database: every record"
        " with its ids (the tablets' pull cursors keep working), in one transaction, from one consistent snapshot;"
        " the derived views are then computed there. Evidence files are not in the database: the servers of the"
        " new store need the same blob store.",
    )
    store_copy.add_argument("--to", required=True, metavar="postgresql://...", help="the target database's URL")
    # It reads the SQLite file itself (a running server may keep writing) and says so when there is none.
    store.set_defaults(func=cmd_store, opens_store=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    args = build_parser().parse_args(argv)
    env = dict(os.environ)
    named_by = "--data-dir" if args.data_dir else ("TEKSERU_DATA_DIR" if env.get("TEKSERU_DATA_DIR") else None)
    if args.data_dir:
        env["TEKSERU_DATA_DIR"] = args.data_dir
    try:
        settings = settings_from_env(env)
        if getattr(args, "opens_store", True):
            check_store(settings, named_by)
        args.func(args, settings)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): the standard recipe, so that the interpreter's own
        # flush at exit finds somewhere to write instead of printing a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except UserError as exc:
        sys.stderr.write(f"tekseru: {exc.message}\n")
        for line in exc.details:
            sys.stderr.write(f"  {line}\n")
        return 1
    except httpx.HTTPError as exc:
        sys.stderr.write(f"tekseru: the server did not answer: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
