"""Integrity's photo readings: the perceptual-hash lookup among 1,000,000 photos, and reading one photo.

The lookup (`server.store.photo_hashes.similar`) runs on a store migrated by the project's own
`migrate` (a SQLite file in a temporary directory; a PostgreSQL database created for the run) that
holds 1,000,000 random 64-bit hashes with their bands (`bench.stores.Loader`: one transaction,
`executemany` into SQLite, `COPY` into PostgreSQL; then ANALYZE, and VACUUM on PostgreSQL as
autovacuum would have done). Each store is asked, on a connection of its own as a background check
would hold, after 20 lookups that warm its cache:

- 200 lookups of random hashes (almost never a photo within the distance: the plain cost of asking)
- 200 lookups of near-duplicates (a stored hash with 1..d of its bits flipped: one photo found)

at the policy's default distance (6: one band within 1 bit, 4 x 17 index ranges) and its widest
(10: within 2 bits, 4 x 137 ranges); median and p99 in ms, target < 20 ms.

`read_photo` per photo: a 1600x1200 photo-like JPEG with EXIF (median of 30 reads, ms), no target.
`--quick` stores 100,000 hashes instead.
"""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Row, percentile
from bench.stores import Loader, create_database, drop_database
from reports.policy import Integrity
from server.db import migrate, plain_connection, read_only_connection
from server.integrity.photos import bands, read_photo, to_signed
from server.store.photo_hashes import similar

ROWS, QUICK_ROWS = 1_000_000, 100_000
LOOKUPS, WARMUP = 200, 20
TARGET_MS = 20.0
WIDEST = 10  # the largest photo_distance a policy may set
COLUMNS = ("sha256", "phash", "band0", "band1", "band2", "band3", "exif_taken", "computed_at")
NOW = "2026-11-01T00:00:00.000Z"


def _load(loader: Loader, hashes: list[int]) -> None:
    loader.insert(
        "photo_hashes",
        COLUMNS,
        ((f"{n:064x}", to_signed(h), *bands(h), None, NOW) for n, h in enumerate(hashes)),
    )
    loader.commit()
    loader.close()


def _timed(lookup: Callable[[int], list], queries: list[int]) -> tuple[list[float], int]:
    """The time of each lookup (ms), and how many found a photo."""
    times, found = [], 0
    for query in queries:
        started = time.perf_counter()
        found += bool(lookup(query))
        times.append((time.perf_counter() - started) * 1000)
    return times, found


def _lookup_rows(label: str, conn: Any, hashes: list[int], rng: random.Random) -> list[Row]:
    rows = []
    for distance in (Integrity().photo_distance, WIDEST):

        def lookup(query: int, d: int = distance) -> list:
            return similar(conn, query, d)

        _timed(lookup, [rng.getrandbits(64) for _ in range(WARMUP)])
        random_ms, _ = _timed(lookup, [rng.getrandbits(64) for _ in range(LOOKUPS)])
        near = []
        for _ in range(LOOKUPS):
            h = hashes[rng.randrange(len(hashes))]
            for bit in rng.sample(range(64), rng.randint(1, distance)):
                h ^= 1 << bit
            near.append(h)
        near_ms, found = _timed(lookup, near)
        assert found == LOOKUPS, f"{found} of {LOOKUPS} near-duplicates found"  # the lookup is exact
        for kind, ms in (("random hash", random_ms), ("near-duplicate", near_ms)):
            for name, value in (("median", statistics.median(ms)), ("p99", percentile(ms, 99))):
                target = (f"< {TARGET_MS:.0f}", value < TARGET_MS)
                rows.append(Row(f"{label}: {kind}, distance {distance}, {name}", value, "ms", *target))
    return rows


def _sqlite_reader(work: Path, hashes: list[int]) -> Any:
    """A SQLite file migrated and loaded with the hashes; a read-only connection to it."""
    path = work / "tekseru.sqlite3"
    conn = plain_connection(path)
    migrate(conn)
    conn.close()
    _load(Loader(db_path=path), hashes)
    return read_only_connection(path)


def _postgres_reader(url: str, hashes: list[int]) -> Any:
    """The database migrated and loaded with the hashes; a read-only connection to it."""
    import psycopg

    from server.pg import connect

    with connect(url) as conn:
        migrate(conn)
    _load(Loader(database_url=url), hashes)
    with connect(url) as conn, contextlib.suppress(psycopg.Error):
        # The load's pages written out now, as on a server running for a while, not by the
        # checkpointer in the middle of the measurement (a superuser's right; skipped without it).
        conn.execute("CHECKPOINT")
    return connect(url, read_only=True)


def lookup(kind: str, quick: bool) -> list[Row]:
    """The lookup among ROWS stored hashes on one store (`sqlite` or `postgresql`)."""
    count = QUICK_ROWS if quick else ROWS
    rng = random.Random(19)
    hashes = [rng.getrandbits(64) for _ in range(count)]
    label = f"photo lookup ({kind}, {count:,} hashes)"
    work = Path(tempfile.mkdtemp(prefix="tekseru-bench-integrity-"))
    url = create_database() if kind == "postgresql" else None
    try:
        started = time.perf_counter()
        reader = _sqlite_reader(work, hashes) if url is None else _postgres_reader(url, hashes)
        rows = [Row(f"{label}: storing them (one transaction)", time.perf_counter() - started, "s")]
        try:
            rows += _lookup_rows(label, reader, hashes, rng)
        finally:
            reader.close()
    finally:
        if url is not None:
            drop_database(url)
        shutil.rmtree(work, ignore_errors=True)
    return rows


def photo(size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo-like JPEG: gradients, shapes, a little blur and noise, with an EXIF capture time."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    rng = random.Random(2026)
    w, h = size
    sky = Image.linear_gradient("L").resize(size)
    picture = Image.merge("RGB", (sky, Image.radial_gradient("L").resize(size), ImageChops.invert(sky)))
    draw = ImageDraw.Draw(picture)
    for _ in range(30):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        box = (x0, y0, x0 + rng.randrange(40, w // 2), y0 + rng.randrange(40, h // 2))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    picture = ImageChops.add(picture.filter(ImageFilter.GaussianBlur(1.5)), Image.effect_noise(size, 12).convert("RGB"))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:10:15 10:58:12"
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def read_rows(trials: int = 30) -> list[Row]:
    """`read_photo` of a 1600x1200 JPEG: hash and capture time."""
    data = photo()
    facts = read_photo(data)  # the first read also imports ImageHash, NumPy and SciPy
    assert facts.phash is not None and facts.exif_taken == "2026-10-15T10:58:12", facts
    times = []
    for _ in range(trials):
        started = time.perf_counter()
        read_photo(data)
        times.append((time.perf_counter() - started) * 1000)
    return [
        Row(f"read_photo: 1600x1200 JPEG ({len(data) // 1024} KiB), hash and EXIF time", statistics.median(times), "ms")
    ]


def visit_flag_rows(trials: int = 20_000) -> list[Row]:
    """The flags of a visit alone (`visit_flags`), per visit: a submitted branch visit of 56 answers
    with a GPS fix 2 km from its unit, too short and sent from a clock two days off (every rule runs
    to the end and raises its flag), and a quiet one (none raised)."""
    from reports.policy import Integrity
    from server.integrity.flags import Place, visit_flags

    rules, unit = Integrity(), Place(lat=43.23935, lon=76.90842, geofence_m=150)
    answers = [{"item": f"BR-{n // 4:02d}.{n % 4}", "value": True, "na": False} for n in range(56)]
    base = {
        "state": "submitted",
        "started_at": "2026-10-15T06:00:00.000Z",
        "finished_at": "2026-10-15T06:30:00.000Z",
        "answers": answers,
    }
    flagged = base | {
        "location": {"lat": 43.25735, "lon": 76.90842, "accuracy_m": 12},
        "finished_at": "2026-10-15T06:04:00.000Z",
    }
    quiet = base | {"location": {"lat": 43.23940, "lon": 76.90850, "accuracy_m": 12}}
    rows = []
    for label, view, offsets, expected in (
        ("every visit flag raised", flagged, [172_800_000], 3),
        ("none raised", quiet, [1_200], 0),
    ):
        assert len(visit_flags(view, unit, 600, offsets, rules)) == expected
        started = time.perf_counter()
        for _ in range(trials):
            visit_flags(view, unit, 600, offsets, rules)
        per_visit = (time.perf_counter() - started) / trials * 1_000_000
        rows.append(Row(f"visit flags per visit ({label})", per_visit, "µs", "< 1000", per_visit < 1000))
    return rows


def run(quick: bool, kinds: tuple[str, ...] = ("sqlite",)) -> list[Row]:
    """The lookup on each store, the reading of one photo, the flags of a visit alone."""
    rows = []
    for kind in kinds:
        rows += lookup(kind, quick)
    return rows + read_rows() + visit_flag_rows(2_000 if quick else 20_000)
