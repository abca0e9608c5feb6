"""Browser tests: Playwright driving Debian's Chromium against a real `tekseru serve --demo`.

No browser is ever downloaded: Chromium is `/usr/bin/chromium` (`apt-get install chromium`), and
axe-core (the accessibility check) comes from `npm install --prefix .venv/npm axe-core@4`;
`.ci/run` installs both. Without them every test here skips with a reason starting
`needs-browser:`, which `.ci/run` turns into a failure.

Every page a test looks at goes through `Browser.look`: no error in the browser's console (a
script error, a resource that failed to load, anything the Content-Security-Policy blocked), no
serious or critical axe finding, and a screenshot in `/tmp/console-shots/` (or
`$TEKSERU_CONSOLE_SHOTS`) for a person to look at.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import httpx
import pytest

from checklists.score import ChecklistIndex
from checklists.validate import load_checklist
from server.demo.visits import make_visit
from tests.live import LiveServer
from tests.tablet import Tablet

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TEKSERU_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("TEKSERU_CONSOLE_SHOTS", "/tmp/console-shots"))
ALMATY = dt.timezone(dt.timedelta(hours=5))
# The impacts that fail a page (axe's scale: minor, moderate, serious, critical).
FAILING_IMPACTS = ("serious", "critical")


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"needs-browser: {CHROMIUM} is missing (apt-get install chromium)"
    if not AXE.exists():
        return f"needs-browser: {AXE.relative_to(ROOT)} is missing (npm install --prefix .venv/npm axe-core@4)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs-browser: the playwright package is missing (make install-test)"
    return None


# --- the server -----------------------------------------------------------------------------------


@dataclass
class Demo:
    """A running `tekseru serve --demo`: its users' tokens and passwords, and the API as each user."""

    server: LiveServer
    tokens: dict[str, str]
    passwords: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, user: str) -> httpx.Client:
        """The API as `user` (a bearer token: the API never takes the console's cookie)."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[user]}"}, timeout=30)

    def tablet(self, auditor: str = "auditor.aigerim") -> tuple[Tablet, httpx.Client]:
        """A new tablet of `auditor`: a token of its own (a token serves one device) and a device never seen."""
        with self.api("admin") as admin:
            answer = admin.post(f"/v1/users/{auditor}/tokens")
            assert answer.status_code in (200, 201), answer.text
        headers = {"Authorization": f"Bearer {answer.json()['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}
        return Tablet(headers), httpx.Client(base_url=self.url, timeout=30)

    def document(self, submission_id: str) -> dict:
        with self.api("qlead.saule") as lead:
            answer = lead.get(f"/v1/submissions/{submission_id}")
            assert answer.status_code == 200, answer.text
            return answer.json()


def _passwords(server: LiveServer, tokens_file: str) -> tuple[dict[str, str], dict[str, str]]:
    """The demo users' tokens and console passwords, as `make serve` prints them into demo-tokens.txt.

    A line is `name role token [password]`; an office user without a printed password gets one
    through the admin API (`PUT /v1/users/{name}/password`), as an administrator would set it.
    """
    tokens, passwords = {}, {}
    for line in (server.data_dir / tokens_file).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3:
            tokens[parts[0]] = parts[2]
            if len(parts) >= 4:
                passwords[parts[0]] = parts[3]
    for name in ("admin", "qlead.saule", "hr.dana"):
        if name not in passwords:
            passwords[name] = f"{name}-browser-test-password"
            answer = httpx.put(
                f"{server.url}/v1/users/{name}/password",
                json={"password": passwords[name]},
                headers={"Authorization": f"Bearer {tokens['admin']}"},
            )
            assert answer.is_success, f"cannot set {name}'s password: {answer.status_code} {answer.text}"
    return tokens, passwords


def start_demo(data_dir: Path, **env: str) -> tuple[LiveServer, Demo]:
    """`tekseru serve --demo` in `data_dir` with the TEKSERU_* variables `env`."""
    # The demo's own integrity checks run while it loads; the visits these tests push then keep the
    # status they were pushed with (a background check could flag a visit of a demo auditor as an
    # impossible trip from her other visits of the day, between two steps of a test).
    env = {"TEKSERU_INTEGRITY_CHECKS": "false", **env}
    server = LiveServer(data_dir, "--demo", env=env).start(timeout=90)
    try:
        tokens, passwords = _passwords(server, "demo-tokens.txt")
    except BaseException:
        server.stop()
        raise
    return server, Demo(server=server, tokens=tokens, passwords=passwords)


@pytest.fixture(scope="package")
def tools() -> None:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="package")
def demo(tools, tmp_path_factory) -> Iterator[Demo]:
    """One demo server the journeys share; each journey makes its own visits, so they do not interfere."""
    server, running = start_demo(tmp_path_factory.mktemp("browser") / "var")
    try:
        yield running
    finally:
        server.stop()


# --- visits a tablet sends --------------------------------------------------------------------------


@cache
def branch_index() -> ChecklistIndex:
    """The shipped branch checklist v2, as the demo's branch visits use it."""
    source = resources.files("checklists") / "library" / "branch.v2.toml"
    return ChecklistIndex(load_checklist(source.read_bytes(), source="branch.v2.toml").checklist)


def branch_visit(unit_id: str = "AKT-001", seed: int | None = None, quality: float = 0.9) -> dict:
    """A submitted branch visit of today, every required item answered (a failed one with a comment)."""
    rng = random.Random(seed if seed is not None else uuid.uuid4().int)
    started = dt.datetime.now(ALMATY) - dt.timedelta(hours=1)
    visit = make_visit(branch_index(), unit_id, "branch", [], started, quality, rng, place=unit_place(unit_id))
    visit["submission_id"], visit["rev_id"] = str(uuid.uuid4()), str(uuid.uuid4())
    return visit


@cache
def unit_place(unit_id: str) -> tuple[float, float] | None:
    """A demo unit's place (the tablet's GPS fix is taken in its hall), from the shipped directory."""
    text = (resources.files("server") / "demo" / "units.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        if row["unit_id"] == unit_id and row["lat"] and row["lon"]:
            return float(row["lat"]), float(row["lon"])
    return None


def push(tablet: Tablet, client: httpx.Client, revisions: list[dict], *statuses: str) -> list[dict]:
    """Push `revisions` from `tablet`; every receipt must have one of `statuses` (default applied or merged)."""
    receipts = tablet.push(client, revisions)
    wanted = statuses or ("applied", "merged")
    assert all(r["status"] in wanted for r in receipts), receipts
    return receipts


def edit(base: dict, parents: list[str], **answers: object) -> dict:
    """A new revision of `base`'s visit made on `parents`, with some answers' values (or comments) changed."""
    revision = dict(base, rev_id=str(uuid.uuid4()), parents=parents)
    revision["answers"] = [dict(a) for a in base["answers"]]
    for key, value in answers.items():
        item, _, part = key.partition(":")
        answer = next(a for a in revision["answers"] if a["item"] == item)
        answer[part or "value"] = value
    return revision


# --- the browser ------------------------------------------------------------------------------------


@dataclass
class Browser:
    """One browser page with its console watched: `look` checks a page and takes its screenshot."""

    page: object  # playwright.sync_api.Page
    name: str
    demo: Demo | None = None
    errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)  # console errors a test expects (a 403 page's status)
    shots: int = 0

    def goto(self, path: str, status: int = 200) -> object:
        """Open `path` on the demo server; the answer (after redirects) must have `status`."""
        base = self.demo.url if self.demo else ""
        if status >= 400:
            self.expect_status(status)
        response = self.page.goto(base + path)
        assert response is not None and response.status == status, (path, response and response.status)
        return response

    def expect_status(self, status: int) -> None:
        """The next page answers `status`: the browser logs that as a failed resource, which is expected."""
        self.expected.append(f"the server responded with a status of {status}")

    def sign_in(self, user: str, password: str | None = None, next_path: str = "/") -> None:
        """Sign in through the form at /login."""
        assert self.demo is not None
        self.goto("/login" + (f"?next={next_path}" if next_path != "/" else ""))
        self.submit_sign_in(user, password or self.demo.passwords[user])

    def submit_sign_in(self, user: str, password: str) -> object:
        """Fill the sign-in form on the page and send it; answers the response to the POST."""
        self.page.fill("[data-testid=login-username]", user)
        self.page.fill("[data-testid=login-password]", password)
        posted = self.page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url)
        with posted as answer, self.page.expect_navigation():
            self.page.click("[data-testid=login-submit]")
        return answer.value

    def sign_out(self) -> None:
        with self.page.expect_navigation():
            self.page.click("[data-testid=sign-out]")

    def submit(self, selector: str) -> None:
        """Click a form's button and wait for the page it leads to (a POST, then the GET it redirects to)."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def console_errors(self) -> list[str]:
        """The console errors so far, less those a test said it expects."""
        return [e for e in self.errors if not any(x in e for x in self.expected)]

    def look(self, label: str, axe: bool = True) -> None:
        """Check the page as it is now (console, accessibility) and keep its screenshot."""
        self.page.wait_for_load_state("load")
        assert self.console_errors() == [], f"{label}: errors in the browser's console"
        if axe:
            findings = run_axe(self.page)
            assert findings == [], f"{label}: accessibility findings:\n" + json.dumps(findings, indent=1)
        self.shots += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.name}-{self.shots:02d}-{label}".lower()).strip("-")
        self.page.screenshot(path=str(SHOTS / f"{slug}.png"), full_page=True)


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def run_axe(page) -> list[dict]:
    """axe-core's serious and critical findings on the page.

    The script is evaluated through the DevTools protocol (`page.evaluate`), which the page's
    Content-Security-Policy does not govern; `add_script_tag` would insert an inline script the
    CSP rightly blocks, and `bypass_csp` would hide the CSP violations the console check looks for.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    findings = page.evaluate(
        """async (impacts) => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }""",
        list(FAILING_IMPACTS),
    )
    return findings


@pytest.fixture(scope="package")
def chromium(tools) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="package", autouse=True)
def fresh_shots(tools) -> None:
    """The screenshots of this run only."""
    shutil.rmtree(SHOTS, ignore_errors=True)


def open_browser(chromium, name: str, demo: Demo | None) -> tuple[object, Browser]:
    """A new browser context (its own cookies) and page, its console watched."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    context.set_default_timeout(15_000)
    page = context.new_page()
    watched = Browser(page=page, name=name, demo=demo)
    page.on("console", lambda m: m.type == "error" and watched.errors.append(f"{m.text} ({m.location.get('url')})"))
    page.on("pageerror", lambda e: watched.errors.append(f"uncaught: {e}"))
    return context, watched


@pytest.fixture
def browser(chromium, demo, request) -> Iterator[Browser]:
    """A fresh browser (no cookies) on the shared demo server; its console must stay free of errors."""
    context, watched = open_browser(chromium, request.node.name, demo)
    try:
        yield watched
        assert watched.console_errors() == [], "errors in the browser's console"
    finally:
        context.close()
