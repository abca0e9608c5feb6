"""Where a running server leaves its URL and the local admin credential, for the `tekseru` command.

Both the app (which writes them at start) and the command line (which reads them) import this
module, so neither has to import the other to agree on the names.
"""

from __future__ import annotations

from pathlib import Path

SERVER_URL_FILE = "server.url"
ADMIN_TOKEN_FILE = "admin.token"


def admin_token(data_dir: Path) -> str:
    """The local admin token that the server (or the in-process app) last wrote to `data_dir`."""
    return (data_dir / ADMIN_TOKEN_FILE).read_text(encoding="utf-8").strip()
