"""What was read from each photo blob (migration 0016, `photo_hashes`): its perceptual hash and EXIF time.

A hash is stored signed (BIGINT holds no unsigned 64-bit value) with its four 16-bit bands, each
indexed: `similar` finds the hashes within a Hamming distance through those indexes
(multi-index hashing, `server.integrity.photos`) instead of reading every row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from server.integrity.photos import BANDS, PhotoFacts, band_neighbours, bands, hamming, to_signed, to_unsigned
from server.store.sync import rows_in

# The widest lookup `similar` takes: radius 3 per band, 4 x 299 values (the policy allows 10, radius 2).
MAX_DISTANCE = 15


def record(c: sqlite3.Connection, sha256: str, facts: PhotoFacts, now: str) -> None:
    """Store what was read from a blob (again: a later reading replaces the earlier one)."""
    parts: tuple[int | None, ...] = (None,) * (1 + BANDS)
    if facts.phash is not None:
        parts = (to_signed(facts.phash), *bands(facts.phash))
    c.execute(
        "INSERT INTO photo_hashes (sha256, phash, band0, band1, band2, band3, exif_taken, computed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET phash = excluded.phash,"
        " band0 = excluded.band0, band1 = excluded.band1, band2 = excluded.band2, band3 = excluded.band3,"
        " exif_taken = excluded.exif_taken, computed_at = excluded.computed_at",
        (sha256, *parts, facts.exif_taken, now),
    )


def known(c: sqlite3.Connection, shas: Iterable[str]) -> dict[str, PhotoFacts]:
    """The facts already read of those blobs (blobs never read are left out)."""
    rows = rows_in(c, "SELECT sha256, phash, exif_taken FROM photo_hashes WHERE sha256 IN ({marks})", shas)
    return {
        r["sha256"]: PhotoFacts(
            phash=None if r["phash"] is None else to_unsigned(r["phash"]), exif_taken=r["exif_taken"]
        )
        for r in rows
    }


def similar(c: sqlite3.Connection, phash: int, max_distance: int, exclude: Iterable[str] = ()) -> list[tuple[str, int]]:
    """(sha256, distance) of the stored photos whose hash is at most `max_distance` bits from `phash`.

    Sorted by distance, then sha256; the blobs of `exclude` are left out. Each band's index is read
    for the values within `max_distance // 4` bits of the hash's band (every hash within the
    distance has at least one band that close): the hashes found there, thousands among a million
    photos, are checked from the indexes alone (each holds the hash), and the table is read only
    for the few within the distance.
    """
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"max_distance must be 0..{MAX_DISTANCE}, not {max_distance}")
    radius = max_distance // BANDS
    wanted = [band_neighbours(b, radius) for b in bands(phash)]
    near = " UNION ALL ".join(
        f"SELECT phash FROM photo_hashes WHERE band{n} IN ({', '.join('?' * len(values))})"
        for n, values in enumerate(wanted)
    )
    # Rows taken one at a time, not as a list: thousands of rows kept alive at once pushed the
    # garbage collector into full collections, the slowest lookups' time (bench/integrity.py).
    cursor = c.execute(near, [v for vs in wanted for v in vs])
    hits = {h for (h,) in cursor if hamming(phash, h) <= max_distance}
    if not hits:
        return []
    # A hash fixes its band 0: the lookup by (band0, phash) reads exactly the rows of those hashes.
    firsts = sorted({bands(h)[0] for h in hits})
    rows = c.execute(
        f"SELECT sha256, phash FROM photo_hashes WHERE band0 IN ({', '.join('?' * len(firsts))})"
        f" AND phash IN ({', '.join('?' * len(hits))})",
        [*firsts, *sorted(hits)],
    ).fetchall()
    skip = set(exclude)
    found = [(sha256, hamming(phash, stored)) for sha256, stored in rows if sha256 not in skip]
    return sorted(found, key=lambda f: (f[1], f[0]))
