"""Integrity's readings of photos and comments, and their stores (on SQLite and PostgreSQL).

Photos are real JPEGs drawn here with Pillow (gradients, shapes and sensor-like noise, 640x480):
a re-encoded, resized copy hashes within the default distance, a copy stored rotated with an EXIF
orientation tag hashes as the original, another scene lands far away; the EXIF capture time is
written into the JPEG and read back. The lookup among stored hashes is checked against a scan of
every row, and its plan against each store's planner.
"""

from __future__ import annotations

import io
import random
import unicodedata
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from reports.policy import Integrity
from server import pg
from server.db import insert_many, migrate, plain_connection
from server.integrity.comments import closest, normalize
from server.integrity.photos import (
    UNREADABLE,
    PhotoFacts,
    band_neighbours,
    bands,
    hamming,
    image_phash,
    read_photo,
    to_signed,
    to_unsigned,
)
from server.store import photo_hashes, visit_comments

DEFAULT = Integrity().photo_distance  # 6
WIDEST = 10  # the policy's largest photo_distance
EXIF_IFD, DATE_TIME, ORIENTATION = 0x8769, 0x0132, 0x0112
ORIGINAL, DIGITIZED, OFFSET, OFFSET_ORIGINAL = 0x9003, 0x9004, 0x9010, 0x9011
NOW = "2026-10-15T06:00:00.000Z"


# --- photos made here ------------------------------------------------------------------------------


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like picture: coloured gradients, a dozen shapes of the seed, a little blur and noise."""
    rng = random.Random(seed)
    w, h = size
    sky = Image.linear_gradient("L").resize(size)
    glow = Image.radial_gradient("L").resize(size)
    if rng.random() < 0.5:
        sky = sky.transpose(Image.Transpose.ROTATE_180)
    picture = Image.merge("RGB", (sky, glow, ImageChops.invert(sky)))
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        box = (x0, y0, x0 + rng.randrange(40, w // 2), y0 + rng.randrange(40, h // 2))
        color = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice(("ellipse", "rectangle", "polygon"))
        if shape == "polygon":
            draw.polygon([(rng.randrange(w), rng.randrange(h)) for _ in range(rng.randint(3, 6))], fill=color)
        else:
            getattr(draw, shape)(box, fill=color)
    noise = Image.effect_noise(size, 12).convert("RGB")
    return ImageChops.add(picture.filter(ImageFilter.GaussianBlur(1.5)), noise, offset=-12)


def jpeg(picture: Image.Image, exif: Image.Exif | None = None, quality: int = 92) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def exif_of(ifd0: dict[int, Any] | None = None, sub: dict[int, Any] | None = None) -> Image.Exif:
    """An EXIF block with these IFD0 tags and these Exif sub-IFD tags (the capture times live there)."""
    exif = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    if sub:
        exif.get_ifd(EXIF_IFD).update(sub)
    return exif


@pytest.fixture(scope="module")
def shop() -> Image.Image:
    return scene(1)


@pytest.fixture(scope="module")
def original(shop: Image.Image) -> bytes:
    return jpeg(shop, exif_of(sub={ORIGINAL: "2026:10:15 10:58:12"}))


@pytest.fixture(scope="module")
def copy(shop: Image.Image) -> bytes:
    """The same photo re-encoded at quality 70 and scaled to 0.9 (what a messenger does to it)."""
    return jpeg(shop.resize((576, 432), Image.Resampling.LANCZOS), quality=70)


@pytest.fixture(scope="module")
def unrelated() -> bytes:
    return jpeg(scene(2))


def test_a_reencoded_resized_copy_is_within_the_default_distance(original, copy):
    a, b = read_photo(original), read_photo(copy)
    assert a.phash is not None and b.phash is not None
    assert 0 <= a.phash < 2**64 and 0 <= b.phash < 2**64
    assert hamming(a.phash, b.phash) <= DEFAULT


def test_a_large_photo_read_at_a_reduced_scale_matches_its_small_copy():
    """A phone-sized JPEG is decoded at 1/4 scale (`draft`): the hash is still that of the full picture."""
    big = scene(3, (1600, 1200))
    facts = read_photo(jpeg(big))
    small = read_photo(jpeg(big.resize((800, 600), Image.Resampling.LANCZOS), quality=70))
    assert hamming(facts.phash, small.phash) <= DEFAULT
    assert hamming(facts.phash, image_phash(big)) <= 2  # every pixel decoded, no draft
    assert hamming(facts.phash, read_photo(jpeg(scene(4, (1600, 1200)))).phash) > WIDEST


@pytest.mark.parametrize("form", ["PNG", "CMYK JPEG", "grey JPEG", "WEBP"])
def test_a_photo_in_another_format_hashes_as_the_jpeg(shop, original, form):
    out = io.BytesIO()
    if form == "CMYK JPEG":
        shop.convert("CMYK").save(out, "JPEG", quality=90)
    elif form == "grey JPEG":
        shop.convert("L").save(out, "JPEG", quality=90)
    else:
        shop.save(out, form)
    assert hamming(read_photo(out.getvalue()).phash, read_photo(original).phash) <= DEFAULT


def test_another_scene_is_farther_than_the_widest_distance(original, unrelated):
    a, b = read_photo(original), read_photo(unrelated)
    assert hamming(a.phash, b.phash) > WIDEST


def test_a_copy_stored_rotated_with_its_orientation_tag_matches(shop, original):
    # Orientation 6: the stored pixels are turned a quarter counter-clockwise, a viewer turns them back.
    turned = shop.transpose(Image.Transpose.ROTATE_90)
    tagged = read_photo(jpeg(turned, exif_of({ORIENTATION: 6})))
    untagged = read_photo(jpeg(turned))
    upright = read_photo(original).phash
    assert hamming(upright, tagged.phash) <= DEFAULT
    assert hamming(upright, untagged.phash) > WIDEST  # the tag, not luck, made them match


@pytest.mark.parametrize(
    ("ifd0", "sub", "taken"),
    [
        ({}, {ORIGINAL: "2026:10:15 10:58:12"}, "2026-10-15T10:58:12"),
        ({}, {ORIGINAL: "2026:10:15 10:58:12", OFFSET_ORIGINAL: "+05:00"}, "2026-10-15T10:58:12+05:00"),
        ({}, {ORIGINAL: "2026:10:15 10:58:12", OFFSET: "-03:30"}, "2026-10-15T10:58:12-03:30"),
        ({DATE_TIME: "2026:10:16 09:00:00"}, {ORIGINAL: "2026:10:15 10:58:12"}, "2026-10-15T10:58:12"),
        ({}, {DIGITIZED: "2026:10:15 11:01:00"}, "2026-10-15T11:01:00"),
        ({DATE_TIME: "2026:10:16 09:00:00"}, {}, "2026-10-16T09:00:00"),
        ({}, {ORIGINAL: "0000:00:00 00:00:00"}, None),
        ({}, {ORIGINAL: "    :  :     :  :  "}, None),
        ({}, {ORIGINAL: "2026:02:30 10:00:00"}, None),
        ({DATE_TIME: "2026:10:16 09:00:00"}, {ORIGINAL: "0000:00:00 00:00:00"}, "2026-10-16T09:00:00"),
        ({}, {ORIGINAL: "2026:10:15 10:58:12", OFFSET_ORIGINAL: "   :  "}, "2026-10-15T10:58:12"),
        ({}, {ORIGINAL: "2026-10-15T10:58:12.345"}, "2026-10-15T10:58:12"),
        ({}, {}, None),
    ],
    ids=[
        "original",
        "original+offset",
        "original+OffsetTime",
        "original-before-datetime",
        "digitized",
        "datetime",
        "zeros",
        "blank",
        "30-february",
        "zeros-then-datetime",
        "blank-offset",
        "dashes-and-fraction",
        "none",
    ],
)
def test_the_capture_time_is_read_from_a_real_jpeg(shop, ifd0, sub, taken):
    facts = read_photo(jpeg(shop, exif_of(ifd0, sub)))
    assert facts.exif_taken == taken
    assert facts.phash is not None


@pytest.mark.parametrize(
    "block",
    [b"Exif\x00\x00II*\x00" + b"\xff" * 40, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05" + b"\x01" * 30],
    ids=["garbage-ifd", "short-entries"],
)
def test_a_corrupt_exif_block_costs_the_time_not_the_hash(shop, original, block):
    out = io.BytesIO()
    shop.save(out, "JPEG", quality=92, exif=block)
    with pytest.warns(UserWarning, match="Corrupt EXIF data"):  # Pillow's, left to the server's log
        facts = read_photo(out.getvalue())
    assert facts.exif_taken is None
    assert hamming(facts.phash, read_photo(original).phash) <= DEFAULT


def test_a_photo_without_exif_has_no_capture_time(copy):
    assert read_photo(copy).exif_taken is None


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * 8000)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\xff\xd8\xff\xe0" + b"\x00" * 64, wav(), b"ID3\x04\x00" + bytes(200)],
    ids=["empty", "text", "jpeg-magic-only", "wav", "mp3"],
)
def test_bytes_that_are_not_a_picture_give_no_facts(data):
    assert read_photo(data) == PhotoFacts(phash=None, exif_taken=None) == UNREADABLE


def test_a_truncated_jpeg_gives_no_facts(original):
    assert read_photo(original[: len(original) // 2]) == UNREADABLE


@pytest.mark.parametrize("factor", [1, 2], ids=["past-the-limit (warning)", "past-twice (error)"])
def test_a_picture_past_the_decompression_bomb_limit_is_not_read(monkeypatch, original, factor):
    # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice it; a smaller limit stands in for a real bomb.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 640 * 480 // (factor + 1))
    assert read_photo(original) == UNREADABLE
    monkeypatch.undo()
    assert read_photo(original).phash is not None


# --- hashes as numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("h", [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 0xDEADBEEF12345678, 0x8000000000000001])
def test_a_hash_goes_to_a_bigint_and_back(h):
    v = to_signed(h)
    assert -(2**63) <= v < 2**63
    assert to_unsigned(v) == h
    assert hamming(h, v) == 0


def test_bands_are_the_four_quarters_low_first():
    assert bands(0x0123_4567_89AB_CDEF) == (0xCDEF, 0x89AB, 0x4567, 0x0123)
    assert bands(to_signed(0xFFFF_0000_0000_0001)) == (1, 0, 0, 0xFFFF)


@pytest.mark.parametrize(("radius", "count"), [(0, 1), (1, 17), (2, 137), (3, 697)])
def test_band_neighbours_counts(radius, count):
    for band in (0, 0xFFFF, 0xA5A5):
        values = band_neighbours(band, radius)
        assert len(values) == len(set(values)) == count
        assert values == sorted(values)
        assert all(0 <= v <= 0xFFFF and (v ^ band).bit_count() <= radius for v in values)


def test_hamming_counts_the_differing_bits():
    assert hamming(0, 2**64 - 1) == 64
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(to_signed(2**63), 2**63) == 0


# --- the store of hashes, on both stores --------------------------------------------------------------


@pytest.fixture
def c(database_url: str | None, tmp_path: Path) -> Iterator[Any]:
    """A connection to a migrated store of the test's own, in autocommit."""
    conn: Any = pg.connect(database_url) if database_url else plain_connection(tmp_path / "db.sqlite3")
    if not database_url:
        migrate(conn)
    try:
        yield conn
    finally:
        conn.close()


def sha(n: int) -> str:
    return f"{n:064x}"


def flip(h: int, positions: list[int]) -> int:
    for p in positions:
        h ^= 1 << p
    return h


def test_facts_are_recorded_once_per_blob_and_read_back(c):
    high = PhotoFacts(phash=0xF00D_0000_0000_BEEF, exif_taken="2026-10-15T10:58:12+05:00")  # top bit set
    photo_hashes.record(c, sha(1), high, NOW)
    photo_hashes.record(c, sha(2), UNREADABLE, NOW)  # audio: read, nothing found
    photo_hashes.record(c, sha(3), PhotoFacts(phash=5, exif_taken=None), NOW)
    photo_hashes.record(c, sha(3), PhotoFacts(phash=7, exif_taken="2026-10-15T10:00:00"), NOW)  # read again
    assert photo_hashes.known(c, [sha(1), sha(2), sha(3), sha(4)]) == {
        sha(1): high,
        sha(2): UNREADABLE,
        sha(3): PhotoFacts(phash=7, exif_taken="2026-10-15T10:00:00"),
    }
    assert photo_hashes.known(c, []) == {}
    assert c.execute("SELECT count(*) FROM photo_hashes").fetchone()[0] == 3
    stored = c.execute("SELECT phash, band0, band1, band2, band3 FROM photo_hashes WHERE sha256 = ?", (sha(1),))
    assert tuple(stored.fetchone()) == (to_signed(high.phash), 0xBEEF, 0, 0, 0xF00D)


def test_the_similar_photo_is_found_and_the_unrelated_one_is_not(c, original, copy, unrelated):
    facts = {sha(1): read_photo(original), sha(2): read_photo(copy), sha(3): read_photo(unrelated)}
    for key, f in facts.items():
        photo_hashes.record(c, key, f, NOW)
    photo_hashes.record(c, sha(4), UNREADABLE, NOW)
    query = facts[sha(2)].phash
    found = photo_hashes.similar(c, query, DEFAULT, exclude=[sha(2)])
    near = hamming(query, facts[sha(1)].phash)
    assert found == [(sha(1), near)]
    everything = photo_hashes.similar(c, query, WIDEST)  # the copy itself too, at 0
    assert everything == sorted([(sha(1), near), (sha(2), 0)], key=lambda f: (f[1], f[0]))


@pytest.mark.parametrize("distance", [0, 1, 3, 4, 6, 7, 10])
def test_a_hash_at_the_distance_is_found_and_one_bit_farther_is_not(c, distance):
    """The worst case of the pigeonhole: the flipped bits spread over the four bands as evenly as they go."""
    base = 0x0F0F_3C3C_A5A5_5A5A
    spread = [16 * (i % 4) + i // 4 for i in range(16)]  # bit i of band i % 4, round robin
    at = flip(base, spread[:distance])
    beyond = flip(base, spread[: distance + 1])
    photo_hashes.record(c, sha(1), PhotoFacts(phash=at, exif_taken=None), NOW)
    photo_hashes.record(c, sha(2), PhotoFacts(phash=beyond, exif_taken=None), NOW)
    assert photo_hashes.similar(c, base, distance) == [(sha(1), distance)]


def test_the_lookup_finds_exactly_what_a_scan_of_every_row_finds(c):
    rng = random.Random(19)
    stored = [rng.getrandbits(64) for _ in range(300)]
    # Near copies of some, with their flipped bits anywhere: the lookup must find those within the distance.
    stored += [flip(h, rng.sample(range(64), rng.randint(0, 12))) for h in stored[:100]]
    insert_many(
        c,
        "INSERT INTO photo_hashes (sha256, phash, band0, band1, band2, band3, exif_taken, computed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
        [(sha(n), to_signed(h), *bands(h), NOW) for n, h in enumerate(stored)],
    )
    for query in stored[:40]:
        for distance in (DEFAULT, WIDEST):
            scan = sorted(
                ((sha(n), hamming(query, h)) for n, h in enumerate(stored) if hamming(query, h) <= distance),
                key=lambda f: (f[1], f[0]),
            )
            assert photo_hashes.similar(c, query, distance) == scan
    skip = photo_hashes.similar(c, stored[0], WIDEST)[0][0]
    assert skip not in dict(photo_hashes.similar(c, stored[0], WIDEST, exclude=[skip]))


def test_a_distance_beyond_the_widest_lookup_is_refused(c):
    with pytest.raises(ValueError):
        photo_hashes.similar(c, 0, photo_hashes.MAX_DISTANCE + 1)
    with pytest.raises(ValueError):
        photo_hashes.similar(c, 0, -1)


class Recording:
    """A connection that keeps the statements run through it (to ask the planner about them)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.statements: list[tuple[str, list]] = []

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.statements.append((sql, list(params)))
        return self.conn.execute(sql, params)


def test_the_lookup_reads_the_band_indexes_not_the_table(c, engine):
    rng = random.Random(7)
    hashes = [rng.getrandbits(64) for _ in range(20_000)]
    insert_many(
        c,
        "INSERT INTO photo_hashes (sha256, phash, band0, band1, band2, band3, exif_taken, computed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
        [(sha(n), to_signed(h), *bands(h), NOW) for n, h in enumerate(hashes)],
    )
    c.execute("ANALYZE")
    recording = Recording(c)
    assert photo_hashes.similar(recording, flip(hashes[5], [0, 20, 40]), WIDEST)[0] == (sha(5), 3)  # type: ignore[arg-type]
    near, rows = recording.statements
    if engine == "postgres":
        plans = ["\n".join(r[0] for r in c.execute("EXPLAIN " + sql, params)) for sql, params in (near, rows)]
        assert "Seq Scan" not in plans[0] + plans[1], plans
        for n in range(4):
            assert f"Index Only Scan using photo_hashes_band{n}" in plans[0] or (
                f"Index Scan using photo_hashes_band{n}" in plans[0]
                or f"Bitmap Index Scan on photo_hashes_band{n}" in plans[0]
            ), plans[0]
        assert "photo_hashes_band0" in plans[1], plans[1]
    else:
        plans = [[r[3] for r in c.execute("EXPLAIN QUERY PLAN " + sql, params)] for sql, params in (near, rows)]
        for n in range(4):
            assert f"SEARCH photo_hashes USING COVERING INDEX photo_hashes_band{n} (band{n}=?)" in plans[0], plans
        assert plans[1] == ["SEARCH photo_hashes USING INDEX photo_hashes_band0 (band0=? AND phash=?)"], plans


# --- comments ------------------------------------------------------------------------------------------


COMMENT = "Сотрудник вежливо поздоровался и предложил помощь с выбором тарифа."
KAZAKH = "Қызметкер сыпайы амандасып, тарифті таңдауға көмек ұсынды."


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Сотрудник вежливо поздоровался.", "сотрудник  вежливо поздоровался"),
        ("  СОТРУДНИК\tвежливо\nпоздоровался!!! ", "сотрудник вежливо поздоровался"),
        ("«Сотрудник вежливо поздоровался»", "Сотрудник вежливо поздоровался"),
        ("Сотрудник вежливо поздоровался…", "сотрудник вежливо поздоровался"),
        (unicodedata.normalize("NFD", "Қызметкер сыпайы амандасты. Йә"), "қызметкер сыпайы амандасты. йә"),
        ("Қызметкер\u00a0сыпайы\u200b амандасты", "қызметкер сыпайы амандасты"),
        ("ＡＢＣ １２３", "abc 123"),  # full-width forms (NFKC)
        ("Straße", "STRASSE"),
    ],
    ids=["full-stop", "case-and-spacing", "quotes", "ellipsis", "nfd-kazakh", "nbsp-zwsp", "fullwidth", "casefold"],
)
def test_comments_that_differ_in_form_only_normalise_equal(a, b):
    assert normalize(a) == normalize(b)
    assert normalize(normalize(a)) == normalize(a)


def test_the_normal_form_is_folded_single_spaced_and_trimmed():
    assert normalize("  Сотрудник  вежливо\tПОЗДОРОВАЛСЯ. ") == "сотрудник вежливо поздоровался"
    assert normalize(unicodedata.normalize("NFD", "Йә, ӘЖЕ!")) == unicodedata.normalize("NFC", "йә, әже")


def test_punctuation_inside_a_comment_stays():
    assert normalize("Касса №3: очередь — 5 человек.") == "касса no3: очередь — 5 человек"  # NFKC: № is No
    assert normalize("...") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (COMMENT, "copied"),  # the same words
        (COMMENT.upper().replace(" ", "  "), "copied"),  # the same in another form
        (unicodedata.normalize("NFD", KAZAKH), "kazakh"),  # the Kazakh one, decomposed
        (COMMENT.replace("вежливо", "приветливо"), "copied"),  # one word changed
        (KAZAKH.replace("сыпайы", "жылы"), "kazakh"),
        ("Очередь в кассу была длинной, консультант не подошёл к клиенту.", None),  # unrelated
        ("Кассир не выдал чек, пришлось просить дважды, кондиционер не работал.", None),
    ],
    ids=["same", "same-form", "kazakh-nfd", "one-word-ru", "one-word-kk", "unrelated", "unrelated-2"],
)
def test_the_closest_comment_of_another_visit(text, expected):
    candidates = {
        "copied": normalize(COMMENT),
        "kazakh": normalize(KAZAKH),
        "other": normalize("Зал чистый, очереди нет, менеджер сразу подошёл."),
    }
    found = closest(text, candidates, 85.0)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found[0] == expected and 85.0 <= found[1] <= 100.0


def test_closest_scores_are_rapidfuzz_ratios():
    assert closest(COMMENT, {1: normalize(COMMENT)}, 99.0) == (1, 100.0)
    assert closest(COMMENT, {}, 50.0) is None
    found = closest(COMMENT.replace("вежливо", "приветливо"), {1: normalize(COMMENT)}, 50.0)
    assert found is not None and 85 < found[1] < 100


def test_at_the_policy_threshold_a_one_word_change_still_counts():
    rules = Integrity()
    long = COMMENT + " Объяснил разницу между пакетами и оставил визитку с телефоном."
    assert len(long) >= rules.comment_min_chars
    text = long.replace("тарифа", "тарифов")
    assert closest(text, {"a": normalize(long)}, rules.comment_similarity) is not None
    assert closest("Очередь в кассу была длинной, консультант не подошёл.", {"a": normalize(COMMENT)}, 50.0) is None


# --- the store of comments, on both stores -------------------------------------------------------------


def test_a_visits_comments_are_replaced_and_read_in_the_window(c):
    c.execute("INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', ?)", (NOW,))
    subs = [f"00000000-0000-4000-8000-{n:012d}" for n in range(4)]
    for s in subs:
        c.execute("INSERT INTO submissions (submission_id, auditor, created_at) VALUES (?, 'aigerim', ?)", (s, NOW))
    visit_comments.replace(c, subs[0], "2026-10-01", {"GREET.1": "первый", "GREET.2": "второй"})
    visit_comments.replace(c, subs[1], "2026-10-10", {"GREET.1": "третий"})
    visit_comments.replace(c, subs[2], "2026-10-20", {"GREET.1": "четвёртый"})
    visit_comments.replace(c, subs[3], "2026-10-10", {"GREET.1": "пятый"})
    assert visit_comments.candidates(c, "GREET.1", "2026-10-01", "2026-10-20", subs[3]) == {
        subs[0]: "первый",
        subs[1]: "третий",
        subs[2]: "четвёртый",
    }
    assert list(visit_comments.candidates(c, "GREET.1", "2026-10-02", "2026-10-10", subs[0])) == [subs[1], subs[3]]
    assert visit_comments.candidates(c, "GREET.2", "2026-10-01", "2026-10-31", subs[1]) == {subs[0]: "второй"}
    visit_comments.replace(c, subs[0], "2026-10-02", {"GREET.1": "исправлено"})  # the visit was edited
    assert visit_comments.candidates(c, "GREET.2", "2026-10-01", "2026-10-31", subs[1]) == {}
    assert visit_comments.candidates(c, "GREET.1", "2026-10-02", "2026-10-02", subs[1]) == {subs[0]: "исправлено"}
    visit_comments.replace(c, subs[0], "2026-10-02", {})
    assert visit_comments.candidates(c, "GREET.1", "2026-10-02", "2026-10-02", subs[1]) == {}
