"""The command line does not guess (issue 13, point 12): run as an operator runs it, in a folder of its own."""

from __future__ import annotations

import ast
import csv
import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.cli import main
from tests.live import LiveServer, free_port

ROOT = Path(__file__).resolve().parent.parent
CHECKLISTS = sorted(str(p) for p in (ROOT / "checklists" / "library").glob("*.v[0-9]*.toml"))
SCRIPT = Path(sys.executable).parent / "tekseru"
TEKSERU = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "server.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any TEKSERU_* setting of the machine running the tests."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TEKSERU_")} | extra


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*TEKSERU, *args], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=180, check=False
    )


def assert_clean_error(done: subprocess.CompletedProcess, status: int = 1) -> None:
    assert done.returncode == status, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


# --- no data directory: say where, and how to point at the right one ----------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["users", "list"],
        ["users", "add", "admin2", "--role", "admin"],
        ["quarantine", "list"],
        ["periods", "show", "2026-11"],
        ["rebuild"],
        ["checklists", "diff", "branch", "1", "2"],
        ["scorecards", "build", "--period", "2026-11", "--unit-kind", "branch"],
        ["import", "units", "units.csv"],
    ],
)
def test_a_command_in_a_folder_without_data_creates_nothing_and_says_where_it_looked(tmp_path, args):
    (tmp_path / "units.csv").write_text("unit_id,kind,name,region\nALM-1,branch,Бір,Алматы\n", encoding="utf-8")
    done = run(tmp_path, *args)
    assert_clean_error(done)
    assert f"no Tekseru data directory at {tmp_path / 'var'}" in done.stderr
    assert "TEKSERU_DATA_DIR" in done.stderr and "--data-dir" in done.stderr and "tekseru serve" in done.stderr
    assert not (tmp_path / "var").exists()


def test_an_empty_var_folder_is_not_a_store_either(tmp_path):
    (tmp_path / "var").mkdir()
    done = run(tmp_path, "users", "list")
    assert_clean_error(done)
    assert f"no Tekseru data directory at {tmp_path / 'var'}" in done.stderr
    assert list((tmp_path / "var").iterdir()) == []


def test_a_named_data_directory_is_created_and_said_so_and_commands_without_a_store_run_anywhere(tmp_path):
    done = run(tmp_path, "--data-dir", "org", "users", "add", "saule", "--role", "quality_lead")
    assert done.returncode == 0, done.stderr
    assert f"no database in {tmp_path / 'org'} (named by --data-dir): creating a new one" in done.stderr
    assert "loaded the standards library" in done.stderr  # made as `serve` makes it
    assert done.stdout.splitlines()[-1].startswith("tks_")
    again = run(tmp_path, "users", "list", TEKSERU_DATA_DIR=str(tmp_path / "org"))
    assert again.returncode == 0 and "saule" in again.stdout and "creating" not in again.stderr
    # Validating files and printing a template need no store, and make none.
    assert run(tmp_path, "checklists", "validate", *CHECKLISTS).returncode == 0
    assert run(tmp_path, "import", "template", "units").returncode == 0
    assert not (tmp_path / "var").exists()


# --- output into a closed pipe -------------------------------------------------------------------


@pytest.mark.parametrize("args", [["import", "template", "staff"], ["users", "list"], ["checklists", "validate"]])
def test_a_reader_that_goes_away_gets_no_traceback(tmp_path, args):
    data_dir = tmp_path / "org"
    if args[0] == "users":
        assert run(tmp_path, "--data-dir", str(data_dir), "users", "add", "dana", "--role", "hr").returncode == 0
    if args[0] == "checklists":
        args = args + CHECKLISTS
    # The reader closes its end before the command writes a byte: `| head -0`, deterministically.
    with subprocess.Popen(
        [*TEKSERU, *args],
        cwd=tmp_path,
        env=clean_env(TEKSERU_DATA_DIR=str(data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        process.stdout.close()
        stderr = process.stderr.read()
        assert process.wait(timeout=120) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr and "Exception ignored" not in stderr


def test_head_of_a_long_listing_through_a_shell_pipe(tmp_path):
    library = " ".join(CHECKLISTS * 200)
    done = subprocess.run(
        f"{' '.join(TEKSERU)} checklists validate {library} | head -1",
        shell=True,
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.count("\n") == 1 and ": ok" in done.stdout
    assert done.stderr == ""


# --- periods ---------------------------------------------------------------------------------------

HOSTILE_PERIODS = [
    "2026-13",
    "2026-00",
    "26-11",
    "2026/11",
    "2026-1",
    "2026-11-01",
    "2026-11\n",
    "٢٠٢٦-١١",
    "２０２６-１１",  # full-width and (above) Arabic-Indic digits: digits to Python, not to the API
    "",
]


@pytest.mark.parametrize("period", HOSTILE_PERIODS)
@pytest.mark.parametrize(
    "command",
    [
        ["periods", "close", "{p}"],
        ["periods", "show", "{p}"],
        ["periods", "adjustments", "{p}"],
        ["scorecards", "build", "--period", "{p}", "--unit-kind", "branch"],
    ],
)
def test_every_command_that_takes_a_period_says_use_yyyy_mm(tmp_path, capsys, command, period):
    args = ["--data-dir", str(tmp_path / "never"), *(a.replace("{p}", period) for a in command)]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "use YYYY-MM, e.g. " in err and f"{period!r} is not a period" in err
    assert not (tmp_path / "never").exists()


def test_a_period_mistake_from_the_shell(tmp_path):
    done = run(tmp_path, "periods", "close", "2026-13")
    assert_clean_error(done, status=2)
    assert "'2026-13' is not a period: use YYYY-MM" in done.stderr


# --- scorecards build: what was already published, months and units without visits ---------------


def test_scorecards_build_names_published_cards_and_skips_units_without_approved_visits(tmp_path):
    data_dir = tmp_path / "var"
    with LiveServer(data_dir, "--demo") as server:
        tokens = dict(line.split()[0::2] for line in (data_dir / "demo-tokens.txt").read_text().splitlines())
        lead = {"Authorization": f"Bearer {tokens['qlead.saule']}"}
        published = httpx.get(f"{server.url}/v1/scorecards", params={"status": "published"}, headers=lead).json()
        closed = published["items"][0]["period"]  # the month the demo closed and published

        def build(period: str, kind: str, *more: str) -> subprocess.CompletedProcess:
            args = ("scorecards", "build", "--period", period, "--unit-kind", kind, *more)
            return run(tmp_path, *args, TEKSERU_DATA_DIR=str(data_dir))

        # The demo published every branch card of the closed month: they come back unchanged.
        again = build(closed, "branch", "--publish")
        assert again.returncode == 0, again.stderr
        cards = len([n for n in approved_visits(server.url, lead, closed).values() if n])
        assert f"for {closed}, branch (ru): {cards} already published, unchanged" in again.stdout
        assert again.stdout.count("already published, unchanged") == cards + 1

        # This month: only units with approved visits get a card; the others are named as skipped.
        month = next_period(closed)
        visits = approved_visits(server.url, lead, month)
        with_visits = sorted(unit for unit, n in visits.items() if n > 0)
        without = sorted(unit for unit, n in visits.items() if n == 0)
        fresh = build(month, "branch", "--publish")
        assert fresh.returncode == 0, fresh.stderr
        built = sorted(line.split()[0] for line in fresh.stdout.splitlines() if line.startswith("  "))
        assert built == with_visits
        assert f"{len(with_visits)} published" in fresh.stdout
        if without:
            assert f"skipped {len(without)} unit(s) with no approved visits in {month}: {', '.join(without)}" in (
                fresh.stdout
            )
        second = build(month, "branch", "--publish")
        assert f"{len(with_visits)} already published, unchanged" in second.stdout

        # A month without any visit: a warning, and not one empty scorecard.
        empty = previous(previous(closed))
        done = build(empty, "branch")
        assert done.returncode == 0 and done.stdout == ""
        assert f"tekseru: warning: no approved visits of branch units in {empty}" in done.stderr
        assert "no scorecard built" in done.stderr
        assert httpx.get(f"{server.url}/v1/scorecards", params={"period": empty}, headers=lead).json()["items"] == []

        unknown = build(closed, "branch", "--unit-id", "ALM-014\n")
        assert_clean_error(unknown)
        assert "not an active branch unit: 'ALM-014\\n'" in unknown.stderr


def approved_visits(url: str, lead: dict[str, str], period: str) -> dict[str, int]:
    """Approved visits per active branch unit in the period, from the scores API."""
    figures = httpx.get(f"{url}/v1/scores/units", params={"period": period, "kind": "branch"}, headers=lead).json()
    active = {u["unit_id"] for u in httpx.get(f"{url}/v1/units", headers=lead).json()["items"] if u["active"]}
    return {f["unit_id"]: f["n"] for f in figures["items"] if f["unit_id"] in active}


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


def previous(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


# --- serve: says "serving on" once it serves; a port in use is one line ----------------------------


def test_serve_says_serving_on_only_when_the_port_answers(tmp_path):
    port = free_port()
    with subprocess.Popen(
        [*TEKSERU, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            seen = []
            for line in process.stdout:
                seen.append(line)
                if line.startswith("serving on"):
                    break
            assert seen and seen[-1].startswith(f"serving on http://127.0.0.1:{port}"), seen
            # At the moment it says so, it answers.
            assert httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200
            assert f"created a new database in {tmp_path / 'var'}\n" in seen
            assert f"(data in {tmp_path / 'var'})" in seen[-1]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_serve_on_a_port_in_use_is_one_line_and_touches_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(tmp_path, "serve", "--port", str(port))
    assert_clean_error(done)
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"tekseru: cannot listen on 127.0.0.1:{port}: another program listens there")
    assert "serving on" not in done.stdout
    assert not (tmp_path / "var").exists()


# --- checklists diff ---------------------------------------------------------------------------------


def test_checklists_diff_shows_old_and_new_values_and_names_missing_versions(tmp_path):
    data_dir = str(tmp_path / "org")
    done = run(tmp_path, "--data-dir", data_dir, "checklists", "diff", "branch", "v1", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    changed = next(i for i, line in enumerate(lines) if line.startswith("changed  item"))
    assert lines[changed].split() == ["changed", "item", "BR-13.2", "(weight)"]
    assert lines[changed + 1].split() == ["weight:", "1.0", "->", "1.5"]
    # A changed title shows only the languages that changed, each old and new.
    edited = (ROOT / "checklists" / "library" / "branch.v2.toml").read_text(encoding="utf-8")
    edited = re.sub(r"(?m)^version = 2$", "version = 3", edited, count=1)
    title = "Время ожидания в очереди"  # BR-01's title in Russian
    edited = edited.replace(f'title = {{ ru = "{title}"', 'title = { ru = "=Новое название"', 1)
    (tmp_path / "branch.v3.toml").write_text(edited, encoding="utf-8")
    assert run(tmp_path, "--data-dir", data_dir, "checklists", "publish", "branch.v3.toml").returncode == 0
    done = run(tmp_path, "--data-dir", data_dir, "checklists", "diff", "branch", "2", "3")
    assert done.returncode == 0, done.stderr
    assert f'title.ru: "{title}" -> "=Новое название"' in done.stdout
    assert "title.kk" not in done.stdout and "title.en" not in done.stdout

    missing = run(tmp_path, "--data-dir", data_dir, "checklists", "diff", "branch", "1", "7")
    assert_clean_error(missing)
    assert missing.stderr.strip() == "tekseru: branch v7 does not exist; versions: 1, 2, 3"
    unknown = run(tmp_path, "--data-dir", data_dir, "checklists", "diff", "brnch", "1", "2")
    assert_clean_error(unknown)
    assert "no checklist 'brnch'; checklists: branch, contact_centre, field_technician" in unknown.stderr
    for bad in ("x", "٣", "1.0", "-1"):
        wrong = run(tmp_path, "--data-dir", data_dir, "checklists", "diff", "branch", "1", bad)
        assert_clean_error(wrong, status=2)
        assert "is not a version: use its number" in wrong.stderr


# --- CSV import: templates, and every bad row ----------------------------------------------------------


def test_import_templates_print_the_columns_and_import_as_printed(tmp_path):
    data_dir = str(tmp_path / "org")
    assert run(tmp_path, "--data-dir", data_dir, "users", "add", "auditor.aigerim", "--role", "auditor").returncode == 0
    expected = {
        "units": ["unit_id", "kind", "name", "region", "active", "lat", "lon", "geofence_m"],
        "staff": ["staff_id", "name", "unit_id", "position", "active"],
        "assignments": [
            "assignment_id",
            "auditor",
            "unit_id",
            "checklist_id",
            "due_from",
            "due_to",
            "active",
            "calibration_of",
            "time_from",
            "time_to",
        ],
    }
    # The example assignment is a first scoring: its `calibration_of` is the one empty example.
    optionals = {
        "units": {"active", "lat", "lon", "geofence_m"},
        "staff": {"active", "position"},
        "assignments": {"active", "calibration_of", "time_from", "time_to"},
    }
    for entity, columns in expected.items():
        template = run(tmp_path, "import", "template", entity)
        assert template.returncode == 0, template.stderr
        rows = list(csv.reader(io.StringIO(template.stdout)))
        assert rows[0] == columns and len(rows) == 2
        assert [c for c, example in zip(columns, rows[1], strict=True) if not example] == (
            ["calibration_of"] if entity == "assignments" else []
        )
        notes = template.stderr.splitlines()[1:]
        assert [n.split()[0] for n in notes] == columns
        optional = {n.split()[0] for n in notes if n.split()[1] == "optional:"}
        assert optional == optionals[entity]
        (tmp_path / f"{entity}.csv").write_text(template.stdout, encoding="utf-8")
        done = run(tmp_path, "--data-dir", data_dir, "import", entity, f"{entity}.csv")
        assert done.returncode == 0, done.stderr
        assert f"imported 1 {entity} row(s)" in done.stdout
    assert "one of branch, contact_centre, field_technician" in run(tmp_path, "import", "template", "units").stderr


def test_import_lists_every_bad_row_whatever_breaks_the_first(tmp_path):
    data_dir = str(tmp_path / "org")
    rows = [
        "unit_id;kind;name;region",
        'ALM-1;branch;"Бір"x;Алматы',  # 2: a quote closed in the middle of a field
        "ALM-2;branch",  # 3: too few fields
        "ALM-3;branch;Үш;Алматы;extra",  # 4: too many fields
        "ALM-4;kiosk;Төрт;Алматы",  # 5: a kind that does not exist
        "ALM-5\n;branch;Бес;Алматы",  # 6-7: an id with a line break (two short rows)
        "ALM-6;branch;Алты;Алматы",  # 8: good
        "ALM-6;branch;Алты;Алматы",  # 9: the same id again
        '"ALM-7;branch;Жеті;Алматы',  # 10: a quote never closed
    ]
    (tmp_path / "units.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = run(tmp_path, "--data-dir", data_dir, "import", "units", "units.csv")
    assert_clean_error(done)
    listed = re.findall(r"units\.csv: line (\d+)", done.stderr)
    assert sorted(set(int(n) for n in listed)) == [2, 3, 4, 5, 6, 7, 9, 10], done.stderr
    assert "line 3: expected 4 fields (unit_id, kind, name, region), found 2" in done.stderr
    assert "line 4: expected 4 fields (unit_id, kind, name, region), found 5" in done.stderr
    assert "line 2: not valid CSV" in done.stderr and "line 10: not valid CSV" in done.stderr
    assert "nothing was imported" in done.stderr
    with sqlite3.connect(tmp_path / "org" / "tekseru.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM units").fetchone() == (0,)


# --- make serve installs the server only -----------------------------------------------------------

TEST_TOOLS = {"pytest", "hypothesis", "schemathesis", "ruff", "pypdf", "tuspy"}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "-r")):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_the_server_lock_holds_no_test_tool_and_the_test_lock_adds_them():
    server = _pins(ROOT / "requirements.lock")
    tests = _pins(ROOT / "requirements-test.lock")
    assert not TEST_TOOLS & server.keys()
    assert tests.keys() >= TEST_TOOLS
    assert not server.keys() & tests.keys(), "a package pinned in both locks"
    assert "-r requirements.lock" in (ROOT / "requirements-test.lock").read_text(encoding="utf-8").splitlines()
    for name in ("litestar", "msgspec", "uvicorn", "reportlab", "openpyxl", "httpx"):
        assert name in server


def test_the_server_imports_no_test_tool():
    """Nothing under server/, checklists/ or reports/ imports a package that only the test lock has."""
    test_only = {name.replace("-", "_") for name in _pins(ROOT / "requirements-test.lock")} | TEST_TOOLS
    found = []
    for package in ("server", "checklists", "reports"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                found += [(str(path), n) for n in names if n.split(".")[0].lower() in test_only]
    assert found == []


def test_make_serve_installs_from_the_server_lock_only():
    serve = subprocess.run(["make", "-n", "-B", "serve"], cwd=ROOT, capture_output=True, text=True, check=False)
    test = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, check=False)
    if serve.returncode != 0 and "No such file" in serve.stderr:
        pytest.skip("make is not installed")
    assert "-r requirements.lock" in serve.stdout and "requirements-test.lock" not in serve.stdout
    assert "-r requirements-test.lock" in test.stdout and "pytest" in test.stdout
