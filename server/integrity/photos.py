"""What a photo's bytes tell the integrity check: its perceptual hash and its EXIF capture time.

The hash is ImageHash's `phash` (a 64-bit DCT hash): a re-encoded, resized or slightly cropped copy
of a photo lands a few bits away from the original, another scene about half the bits away. It is
stored in four 16-bit bands (`bands`) for multi-index hashing: two hashes at most d bits apart
differ by at most d // 4 bits in at least one band (pigeonhole), so a lookup asks each band's index
for the values within that radius (`band_neighbours`) and checks the full distance of the few rows
found (`server.store.photo_hashes.similar`).

Pillow and ImageHash are imported inside the functions: with numpy and scipy they take ~0.3 s to
import, which a server start should not pay for a check that runs in the background.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from itertools import combinations
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from PIL.Image import Image

BITS = 64
BAND_BITS = 16
BANDS = BITS // BAND_BITS
_MASK = (1 << BITS) - 1
_BAND_MASK = (1 << BAND_BITS) - 1
# A JPEG is decoded at a reduced scale no smaller than this (Pillow's `draft`, DCT scaling): the
# hash reads a 32x32 grey thumbnail, and a 12-megapixel photo decodes ~8 times faster at 1/4 scale.
DRAFT_PX = 256

# EXIF tags (Exif 2.32): the capture times and their offsets from UTC.
_DATE_TIME = 0x0132  # IFD0: when the file was last changed
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_DATE_TIME_DIGITIZED = 0x9004
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET_TIME_DIGITIZED = 0x9012

# "YYYY:MM:DD HH:MM:SS" by the standard; some software writes dashes, a `T` or fractions of a second after.
_EXIF_TIME = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


class PhotoFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What was read from one photo's bytes; both None for bytes that are not a readable image."""

    phash: int | None  # 64-bit unsigned perceptual hash (imagehash.phash, hash_size 8)
    exif_taken: str | None  # capture time `YYYY-MM-DDTHH:MM:SS[+HH:MM]` as the camera wrote it


UNREADABLE = PhotoFacts(phash=None, exif_taken=None)


def read_photo(data: bytes) -> PhotoFacts:
    """The perceptual hash and EXIF capture time of a photo; UNREADABLE for anything Pillow cannot read.

    Never raises: audio, a truncated file, a picture past Pillow's decompression-bomb limit (about
    89 megapixels) all give UNREADABLE. The EXIF orientation is applied before hashing, so a copy
    stored rotated with an orientation tag hashes as the upright original.
    """
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            # Past the limit Pillow only warns (an error past twice it): a bomb is not read at all.
            # Only this filter: were two threads to interleave their `catch_warnings`, the one left
            # behind is the same (`server.audited` sets it too), never one that silences others.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                taken = exif_time(opened)
                if opened.format == "JPEG":
                    opened.draft("L", (DRAFT_PX, DRAFT_PX))
                upright = ImageOps.exif_transpose(opened)
                phash = image_phash(upright)
    except Exception:  # the decoders raise many types (OSError, SyntaxError, ValueError...) for bad bytes
        return UNREADABLE
    return PhotoFacts(phash=phash, exif_taken=taken)


def image_phash(image: Image) -> int:
    """The 64-bit perceptual hash of a loaded picture, as an unsigned integer (first bit the highest)."""
    import imagehash

    bits = imagehash.phash(image, hash_size=8).hash.flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def exif_time(image: Image) -> str | None:
    """The capture time in the picture's EXIF: DateTimeOriginal, else DateTimeDigitized, else DateTime.

    The first of them that parses, as `YYYY-MM-DDTHH:MM:SS`, with `+HH:MM` when the matching offset
    tag (or, failing it, OffsetTime) is present. None when none parses ("0000:00:00 00:00:00", blanks).
    """
    try:
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # a broken EXIF block must not cost the hash
        return None
    fallback_offset = _offset(sub.get(_OFFSET_TIME, exif.get(_OFFSET_TIME)))
    for time_tag, offset_tag, tags in (
        (_DATE_TIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, sub),
        (_DATE_TIME_DIGITIZED, _OFFSET_TIME_DIGITIZED, sub),
        (_DATE_TIME, _OFFSET_TIME, exif),
    ):
        moment = _moment(tags.get(time_tag))
        if moment is not None:
            offset = _offset(sub.get(offset_tag, exif.get(offset_tag))) or fallback_offset
            return moment + (offset or "")
    return None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def _moment(value: object) -> str | None:
    text = _text(value)
    found = _EXIF_TIME.match(text) if text else None
    if found is None:
        return None
    try:
        moment = dt.datetime(*map(int, found.groups()))
    except ValueError:  # month 0, 31 February, 25 o'clock
        return None
    return moment.isoformat(timespec="seconds")


def _offset(value: object) -> str | None:
    text = _text(value)
    found = _EXIF_OFFSET.fullmatch(text) if text else None
    if found is None or int(found[2]) > 14 or int(found[3]) > 59:  # UTC-12 .. UTC+14
        return None
    return found[0]


def to_signed(h: int) -> int:
    """A 64-bit unsigned hash as the signed integer a BIGINT column holds."""
    h &= _MASK
    return h - (1 << BITS) if h >> (BITS - 1) else h


def to_unsigned(v: int) -> int:
    """A stored signed 64-bit integer back as the unsigned hash."""
    return v & _MASK


def bands(h: int) -> tuple[int, int, int, int]:
    """The four 16-bit quarters of a hash, band 0 the lowest bits."""
    h &= _MASK
    return (h & _BAND_MASK, (h >> 16) & _BAND_MASK, (h >> 32) & _BAND_MASK, (h >> 48) & _BAND_MASK)


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ (signed or unsigned forms alike)."""
    return ((a ^ b) & _MASK).bit_count()


def band_neighbours(band: int, radius: int) -> list[int]:
    """Every 16-bit value at most `radius` bits from `band` (itself included), in increasing order."""
    out = [band]
    for flipped in range(1, radius + 1):
        for positions in combinations(range(BAND_BITS), flipped):
            mask = 0
            for p in positions:
                mask |= 1 << p
            out.append(band ^ mask)
    return sorted(out)
