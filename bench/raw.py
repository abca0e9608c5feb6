"""The raw ceiling: the rows a push stores, written by plain `sqlite3` in one process, nothing else."""

from __future__ import annotations

import sqlite3
import time
import uuid
from importlib import resources
from pathlib import Path

from bench.common import BATCH
from server.store.views import encode_standard_scores

MAX_TRANSACTIONS = 100_000


def schema() -> str:
    """The server's own migrations, so the raw rows meet the same tables, indexes and triggers."""
    folder = resources.files("server") / "migrations"
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def raw_ceiling(
    path: Path, content: str, document: str, ids: tuple[str, str], seconds: float, standards: int = 0
) -> tuple[float, int]:
    """Submissions per second written for `seconds`, 50 per transaction, in WAL with synchronous=FULL.

    Per submission: one `submissions` row, one `revisions` row with `content` (a stored revision's
    canonical JSON), one `submission_views` row with `document` (a stored view document) and one
    `changes` row; with `standards` > 0 also the aggregation rows the server writes for a counted
    visit (one `visit_scores` row with `standards` scores and one `visit_staff` row). `ids` (submission_id,
    rev_id) are replaced in the texts by fresh ones. Answers (rate, submissions written).
    """
    sub_template, rev_template = ids
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000"):
            conn.execute(f"PRAGMA {pragma}")
        conn.executescript(schema())
        now = "2026-10-14T05:32:05.000Z"
        conn.execute("INSERT INTO users (name, role, created_at) VALUES ('raw', 'auditor', ?)", (now,))
        written, busy, arrival = 0, 0.0, 0
        deadline = time.perf_counter() + seconds
        for _ in range(MAX_TRANSACTIONS):
            if time.perf_counter() >= deadline:
                break
            subs, revs, views, changes, per_standard, per_staff = [], [], [], [], [], []
            for _ in range(BATCH):
                sub, rev = str(uuid.uuid4()), str(uuid.uuid4())
                arrival += 1
                subs.append((sub, "raw", now))
                text = content.replace(sub_template, sub).replace(rev_template, rev)
                revs.append(
                    (rev, sub, "0" * 64, text, "[]", "branch", 1, None, "auditor", "raw", None, now, 0, arrival)
                )
                doc = document.replace(sub_template, sub).replace(rev_template, rev)
                view = ("branch", 1, "U0001", None, "submitted", now, now, "2026-10", "received", 87.5, 90.0, 0)
                views.append((sub, "raw", *view, doc, now))
                changes.append(("submission", sub, "upsert", "raw"))
                if standards:
                    packed = encode_standard_scores([(f"BR-{k:02d}", 0.75, True) for k in range(standards)])
                    per_standard.append((sub, "2026-10", 1, "U0001", packed))
                per_staff += [(sub, "E00001", "2026-10", 1, "U0001", 90.0)] if standards else []
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO submissions (submission_id, auditor, created_at) VALUES (?, ?, ?)", subs)
            conn.executemany(
                "INSERT INTO revisions (rev_id, submission_id, sha256, content, parents, checklist_id,"
                " checklist_version, hlc, rank, author, device_id, received_at, clock_offset_ms, arrival)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                revs,
            )
            conn.executemany(
                "INSERT INTO submission_views (submission_id, auditor, checklist_id, checklist_version, unit_id,"
                " assignment_id, state, started_at, corrected_start, period, status, visit_score, person_score,"
                " has_conflicts, document, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                views,
            )
            conn.executemany("INSERT INTO changes (kind, object_id, op, audience) VALUES (?, ?, ?, ?)", changes)
            if standards:
                conn.executemany(
                    "INSERT INTO visit_scores (submission_id, period, counted, unit_id, standards)"
                    " VALUES (?, ?, ?, ?, ?)",
                    per_standard,
                )
                conn.execute(
                    "INSERT INTO dirty_groups (period, counted, unit_id) VALUES ('2026-10', 1, 'U0001')"
                    " ON CONFLICT DO NOTHING"
                )
                conn.executemany(
                    "INSERT INTO visit_staff (submission_id, staff_id, period, counted, unit_id, person_score)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    per_staff,
                )
            conn.execute("COMMIT")
            busy += time.perf_counter() - t0
            written += BATCH
    finally:
        conn.close()
    return written / busy if busy else 0.0, written
