"""The `tekseru` command: on its own, and through a running server (the one writer)."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from server.cli import main
from tests.live import LiveServer


def test_users_without_a_server(tmp_path, capsys):
    data_dir = str(tmp_path / "var")
    assert main(["--data-dir", data_dir, "users", "add", "saule", "--role", "quality_lead"]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert token.startswith("tks_")
    assert main(["--data-dir", data_dir, "users", "token", "saule"]) == 0
    assert main(["--data-dir", data_dir, "users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "saule" in listing and "quality_lead" in listing and "_local_admin" not in listing
    assert main(["--data-dir", data_dir, "users", "add", "saule", "--role", "hr"]) == 1
    assert "already exists (user_exists)" in capsys.readouterr().err
    assert main(["--data-dir", data_dir, "users", "revoke", "saule", "--token-prefix", token[4:14]]) == 0
    assert main(["--data-dir", data_dir, "users", "revoke", "ghost"]) == 1


def test_unit_managers_are_added_with_their_units_and_rebound(tmp_path, capsys):
    data_dir = str(tmp_path / "var")
    units = tmp_path / "units.csv"
    units.write_text(
        "unit_id,kind,name,region\nALM-014,branch,ПСС Алматы,Алматы\nALM-015,branch,ПСС Абая,Алматы\n", encoding="utf-8"
    )
    cli = ["--data-dir", data_dir]
    assert main([*cli, "import", "units", str(units)]) == 0
    assert main([*cli, "users", "add", "dana", "--role", "unit_manager", "--units", "ALM-015, ALM-014"]) == 0
    out = capsys.readouterr().out
    assert "user dana (unit_manager, units ALM-014, ALM-015) created" in out
    assert out.splitlines()[-1].startswith("tks_")
    assert main([*cli, "users", "units", "dana", "ALM-015"]) == 0
    assert "dana now reads units ALM-015" in capsys.readouterr().out
    assert main([*cli, "users", "list"]) == 0
    assert "units: ALM-015" in next(line for line in capsys.readouterr().out.splitlines() if "dana" in line)
    # Refusals: a manager without units, a unit not in the directory, units for another role.
    assert main([*cli, "users", "add", "aru", "--role", "unit_manager"]) == 1
    assert "units_required" in capsys.readouterr().err
    assert main([*cli, "users", "units", "dana", "ALM-015,ALM-999"]) == 1
    err = capsys.readouterr().err
    assert "unknown_unit" in err and "units[1]" in err and "Traceback" not in err
    assert main([*cli, "users", "add", "hr1", "--role", "hr", "--units", "ALM-014"]) == 1
    assert "units_not_allowed" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # an argument error, as argparse reports it
        main([*cli, "users", "units", "dana", "ALM-014,,"])
    assert "is not a list of units" in capsys.readouterr().err


def test_import_errors_name_the_file_and_line(tmp_path, capsys):
    csv_file = tmp_path / "units.csv"
    csv_file.write_text("unit_id;kind;name;region\nU1;branch;Один;Алматы\nU2;kiosk;Два;Алматы\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "var"), "import", "units", str(csv_file)]) == 1
    err = capsys.readouterr().err
    assert f"{csv_file}: line 3.kind: must be one of" in err or f"{csv_file}: line 3.kind:" in err
    assert "Traceback" not in err


def test_writes_go_through_the_running_server(tmp_path, capsys):
    data_dir = tmp_path / "var"
    with LiveServer(data_dir) as server:
        token_before = (data_dir / "admin.token").read_text()
        units = tmp_path / "units.csv"
        units.write_text("unit_id,kind,name,region\nALM-1,branch,ПСС Алматы,Алматы\n", encoding="utf-8")
        assert main(["--data-dir", str(data_dir), "import", "units", str(units)]) == 0
        assert main(["--data-dir", str(data_dir), "users", "add", "aigerim", "--role", "auditor"]) == 0
        # Had the command opened the database itself, its in-process app would have replaced the
        # local admin credential; it is unchanged, so the server did the writes.
        assert (data_dir / "admin.token").read_text() == token_before
        unit = httpx.get(f"{server.url}/v1/units/ALM-1", headers=server.admin_headers())
        assert unit.status_code == 200 and unit.json()["name"] == "ПСС Алматы"
        token = capsys.readouterr().out.splitlines()[-1]
        assert httpx.get(f"{server.url}/v1/health", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert not (data_dir / "server.url").exists()
    with sqlite3.connect(data_dir / "tekseru.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT role FROM users WHERE name = 'aigerim'").fetchone() == ("auditor",)


def test_quarantine_rebuild_and_backup_commands(tmp_path, capsys, monkeypatch):
    # Backups go only to the directory the operator configured (tests/test_robust_storage.py).
    monkeypatch.setenv("TEKSERU_BACKUP_DIR", str(tmp_path))
    data_dir = str(tmp_path / "var")
    assert main(["--data-dir", data_dir, "quarantine", "list"]) == 0
    assert "quarantine is empty" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "quarantine", "replay"]) == 0
    assert main(["--data-dir", data_dir, "rebuild"]) == 0
    assert "rebuilt the views of 0 submission(s)" in capsys.readouterr().out
    target = tmp_path / "copy.sqlite3"
    assert main(["--data-dir", data_dir, "backup", str(target)]) == 0
    with sqlite3.connect(target) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 2
    assert main(["--data-dir", data_dir, "backup", str(target)]) == 1
    assert "already at that path" in capsys.readouterr().err
