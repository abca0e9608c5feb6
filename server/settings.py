"""Settings read from `TEKSERU_*` environment variables, each with a working default."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec


def default_push_workers(cores: int | None = None) -> int:
    """One fewer than the cores, 1 to 4: the one writer needs a core of its own.

    A worker beyond that only takes CPU from the writer: on 2 cores two workers pushed less than
    one, in more memory (bench/README.md, history).
    """
    cores = cores or os.cpu_count() or 2
    return max(1, min(4, cores - 1))


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the server can be told; a fresh checkout needs none of it."""

    data_dir: Path = Path("var")
    # The store: unset, the SQLite file in the data directory; `postgresql://user@host/db`, PostgreSQL.
    database_url: str | None = None
    # Where evidence blobs are kept: unset, `<data dir>/blobs`; `s3://bucket/prefix`, S3-compatible storage
    # (`s3_endpoint`, e.g. `http://minio:9000`, and the usual AWS_* credential variables).
    blob_store: str | None = None
    s3_endpoint: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Almaty"
    max_body_bytes: int = 16 * 1024 * 1024
    upload_expiry_s: int = 7 * 24 * 3600  # an unfinished evidence upload is dropped after this long idle
    max_blob_bytes: int = 200 * 1024 * 1024  # the largest photo or recording one upload may hold
    # What one auditor may have under way: unfinished uploads, and bytes they declared but did not send yet.
    uploads_per_auditor: int = 200
    upload_bytes_per_auditor: int = 5 * 1024**3
    render_workers: int = 2  # processes that render scorecard PDFs; 0 renders in a thread of the server
    # Processes that decode, check and score pushes; 0 does it on the server's event loop.
    push_workers: int = msgspec.field(default_factory=default_push_workers)
    # A client gets this long to send a request's head, and may pause this long inside its body.
    client_timeout_s: float = 30.0
    docs: bool = False
    cors_origins: tuple[str, ...] = ()
    log_level: str = "info"
    # The one directory backups may be written to (and below); None means `<data dir>/backups`.
    backup_dir: Path | None = None
    # Console sessions: one ends after this long without a request, and in any case this long after sign-in.
    session_idle_minutes: float = 30
    session_hours: float = 12
    # Mark the console's cookies `Secure` even when the request itself arrived over plain HTTP
    # (TLS ended at a proxy in front); a request over HTTPS always gets `Secure`.
    cookie_secure: bool = False
    # Whether this server process makes the local admin credential (`<data dir>/admin.token`) at start;
    # `tekseru serve --workers N` makes it once and turns it off for its server processes.
    local_admin: bool = True
    # Whether this server process runs the background integrity checks (the flags that compare a
    # visit with others, `server.integrity.tasks`). Off, the checks wait in the store until a
    # process that runs them takes them.
    integrity_checks: bool = True
    # How long a claimed batch of checks is its process's: one that died (kill -9, a lost host) gives
    # them up when this runs out, and another process takes them over. SQLite's one process takes
    # its own dead claims back at start.
    integrity_lease_s: float = 120.0

    @property
    def db_path(self) -> Path:
        """The SQLite file."""
        return self.data_dir / "tekseru.sqlite3"

    @property
    def backups(self) -> Path:
        """Where `tekseru backup` and `POST /v1/admin/backup` may write: `backup_dir` or `<data dir>/backups`."""
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"


_ENV_PREFIX = "TEKSERU_"


def settings_from_env(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from `TEKSERU_*` variables (`TEKSERU_DATA_DIR`, `TEKSERU_PORT`, ...), then overrides."""
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        value = env.get(_ENV_PREFIX + field.name.upper())
        if value is None or value == "":
            continue
        if field.name == "cors_origins":
            raw[field.name] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            raw[field.name] = value
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_decode_path)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"tekseru: bad setting: {exc} (from a TEKSERU_* variable)") from None
    if settings.database_url and settings.database_url.split(":", 1)[0] not in ("postgresql", "postgres"):
        raise SystemExit("tekseru: bad setting: TEKSERU_DATABASE_URL takes postgresql://... (unset: SQLite)")
    return settings


def _decode_path(type_: type, value: object) -> object:
    if type_ is Path and isinstance(value, str | Path):
        return Path(value)
    raise NotImplementedError
