"""The `tekseru` command.

Exit status 0 on success; 1 on a user error, with a message on stderr that says what and where
(file, line, field) and never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from checklists.validate import Invalid, load_checklist
from server.admin_client import ApiError, admin_client, checked, running_server_url
from server.settings import Settings, settings_from_env


class UserError(Exception):
    """A mistake of the caller: printed as one line (plus details) on stderr, exit 1."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


# --- serve ---------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from server.app import create_app
    from server.setup import prepare
    from server.transport import KEEP_ALIVE_S, guarded_http_protocol
    from server.workers import tune_gc

    if running_server_url(settings):
        raise UserError(f"a server is already running on {settings.data_dir}")
    settings = settings_from_env(host=args.host, port=args.port, data_dir=settings.data_dir)
    report = asyncio.run(prepare(settings, demo=args.demo))
    for line in report:
        _out(line)
    url = f"http://{_url_host(settings.host)}:{settings.port}"
    _out(f"serving on {url}  (data in {settings.data_dir})")
    sys.stdout.flush()
    tune_gc()
    uvicorn.run(
        create_app(settings, announce_url=url),
        host=settings.host,
        port=settings.port,
        log_level="warning" if settings.log_level == "info" else settings.log_level,
        access_log=False,
        lifespan="on",
        http=guarded_http_protocol(settings.client_timeout_s),
        timeout_keep_alive=KEEP_ALIVE_S,
        # No `limit_concurrency`: uvicorn counts idle connections against it, so a few hundred
        # slow or stalled clients would turn every other request (health checks too) into a 503.
        # A waiting client costs an idle socket on the event loop; the deadlines below free it.
    )


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)


# --- users ---------------------------------------------------------------------------------------


def cmd_users(args: argparse.Namespace, settings: Settings) -> None:
    with admin_client(settings) as api:
        if args.action == "add":
            body = _call(api.post, "/v1/users", json={"name": args.name, "role": args.role})
            _out(f"user {body['name']} ({body['role']}) created; token (shown once):")
            _out(body["token"])
        elif args.action == "token":
            body = _call(api.post, f"/v1/users/{args.name}/tokens")
            _out(f"new token for {args.name} (shown once):")
            _out(body["token"])
        elif args.action == "revoke":
            path = f"/v1/users/{args.name}/tokens" + (f"/{args.token_prefix}" if args.token_prefix else "")
            _call(api.delete, path)
            _out(f"revoked {'token ' + args.token_prefix if args.token_prefix else 'every token'} of {args.name}")
        else:
            for user in _pages(api, "/v1/users"):
                _out(f"{user['name']:<24} {user['role']:<13} tokens: {' '.join(user['token_prefixes']) or '-'}")


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
    import msgspec

    from checklists.diff import diff_versions
    from checklists.model import Checklist

    with admin_client(settings) as api:
        old, new = (
            msgspec.convert(_call(api.get, f"/v1/checklists/{args.id}/versions/{v}")["checklist"], Checklist)
            for v in (args.v1, args.v2)
        )
    changes = diff_versions(old, new)
    if not changes:
        _out(f"{args.id}: v{args.v1} and v{args.v2} have the same standards and items")
    for change in changes:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        _out(f"{change.how:<8} {change.what:<8} {change.id}{fields}")


# --- import ----------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace, settings: Settings) -> None:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    with admin_client(settings) as api:
        response = api.post(f"/v1/admin/import/{args.entity}", content=data, headers={"Content-Type": "text/csv"})
        body = _checked_json(response, str(path))
    _out(f"{path}: imported {body['rows']} {args.entity} row(s)")


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
    _out(f"rebuilt the views of {body['submissions']} submission(s) from their revisions")


def cmd_backup(args: argparse.Namespace, settings: Settings) -> None:
    path = str(Path(args.path).resolve())
    with admin_client(settings) as api:
        body = _call(api.post, "/v1/admin/backup", json={"path": path})
    _out(f"backup written to {body['path']} ({body['bytes']} bytes)")


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


# --- scorecards ----------------------------------------------------------------------------------


def cmd_scorecards(args: argparse.Namespace, settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with admin_client(settings) as api:
        units = [u for u in _pages(api, "/v1/units") if u["kind"] == args.unit_kind and u["active"]]
        if args.unit_id:
            units = [u for u in units if u["unit_id"] in args.unit_id]
        if not units:
            raise UserError(f"no active {args.unit_kind} units")
        progress = _Progress(len(units), f"{args.period} {args.unit_kind} ({args.lang})")

        def one(unit: dict) -> dict:
            body = {"scope": "unit", "unit_id": unit["unit_id"], "period": args.period, "lang": args.lang}
            card = _call(api.post, "/v1/scorecards", json=body)
            if args.publish:
                card = _call(api.post, f"/v1/scorecards/{card['id']}/publish")
            progress.step()
            return card

        # The server renders each PDF in its worker processes; a few requests in flight keep them busy.
        with ThreadPoolExecutor(max_workers=4) as pool:
            cards = list(pool.map(one, units))
        progress.done()
    state = "published" if args.publish else "draft"
    _out(f"{len(cards)} {state} scorecard(s) for {args.period}:")
    for card in cards:
        _out(f"  {card['unit_id']:<10} {card['id']}  sha256 {card['sha256']}  {card['size'] // 1024} KB")


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `tekseru`."""
    parser = argparse.ArgumentParser(prog="tekseru", description="Tekseru: service-quality audits.")
    parser.add_argument("--data-dir", help="the data directory (default $TEKSERU_DATA_DIR or ./var)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, load the library, serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--demo", action="store_true", help="also load the demo organisation")
    serve.set_defaults(func=cmd_serve)

    users = sub.add_parser("users", help="users and their tokens")
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="create a user and print its first token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["admin", "quality_lead", "hr", "auditor"])
    users_sub.add_parser("token", help="print another token for a user").add_argument("name")
    revoke = users_sub.add_parser("revoke", help="revoke a user's tokens (or one, by prefix)")
    revoke.add_argument("name")
    revoke.add_argument("--token-prefix")
    users_sub.add_parser("list", help="list users and their live token prefixes")
    users.set_defaults(func=cmd_users)

    cl = sub.add_parser("checklists", help="validate, publish and compare checklist versions")
    cl_sub = cl.add_subparsers(dest="action", required=True)
    cl_sub.add_parser("validate", help="check files, listing every problem").add_argument("files", nargs="+")
    cl_sub.add_parser("publish", help="publish files (TOML or JSON)").add_argument("files", nargs="+")
    diff = cl_sub.add_parser("diff", help="what changed between two published versions")
    diff.add_argument("id")
    diff.add_argument("v1", type=int)
    diff.add_argument("v2", type=int)
    cl.set_defaults(func=cmd_checklists)

    imp = sub.add_parser("import", help="import a CSV file of units, staff or assignments (all rows or none)")
    imp.add_argument("entity", choices=["units", "staff", "assignments"])
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)
    pol = sub.add_parser("policies", help="validate and publish motivation policies")
    pol_sub = pol.add_subparsers(dest="action", required=True)
    pol_sub.add_parser("validate", help="check files, listing every problem").add_argument("files", nargs="+")
    pol_sub.add_parser("publish", help="publish files (TOML or JSON)").add_argument("files", nargs="+")
    pol.set_defaults(func=cmd_policies)

    per = sub.add_parser("periods", help="close a month, show its figures and later adjustments")
    per_sub = per.add_subparsers(dest="action", required=True)
    close = per_sub.add_parser("close", help="freeze the month's motivation snapshot")
    close.add_argument("period", help="YYYY-MM")
    close.add_argument("--force", action="store_true", help="close even while submissions await review")
    per_sub.add_parser("show", help="the month's motivation rows").add_argument("period")
    per_sub.add_parser("adjustments", help="what changed after the close").add_argument("period")
    per.set_defaults(func=cmd_periods)

    cards = sub.add_parser("scorecards", help="render (and publish) the scorecards of every unit of a kind")
    cards_sub = cards.add_subparsers(dest="action", required=True)
    build = cards_sub.add_parser("build", help="render all units of a kind for a period")
    build.add_argument("--period", required=True, help="YYYY-MM")
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

    sub.add_parser("rebuild", help="recompute every derived view from the revisions").set_defaults(func=cmd_rebuild)

    backup = sub.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("path")
    backup.set_defaults(func=cmd_backup)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    args = build_parser().parse_args(argv)
    env = dict(os.environ)
    if args.data_dir:
        env["TEKSERU_DATA_DIR"] = args.data_dir
    try:
        settings = settings_from_env(env)
        args.func(args, settings)
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
