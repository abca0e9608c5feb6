"""Evidence photos on a scorecard: re-encoded without their metadata, beside their failed item or in a grid."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Image, KeepTogether, Spacer

from reports import i18n
from reports.i18n import text
from reports.pdf_page import WIDTH, layout, para
from reports.scorecard_data import ScorecardData, Thumbnail

THUMB_PX = 300  # longest side of a re-encoded photo: enough for A4 at ~140 dpi in a 55 mm box
THUMB_QUALITY = 80


def reencode_thumbnail(image: bytes, max_px: int = THUMB_PX) -> tuple[bytes, int, int] | None:
    """The photo as a small baseline JPEG with no EXIF, GPS, ICC or other metadata; None if unreadable.

    The pixels are copied into a fresh image, which carries nothing of the original file. The
    EXIF orientation is applied first, so the photo stays upright once its EXIF is gone.
    """
    try:
        with PILImage.open(io.BytesIO(image)) as original:
            original.draft("RGB", (max_px, max_px))  # JPEG: decode at a reduced scale (fast)
            upright = ImageOps.exif_transpose(original).convert("RGB")
    except Exception:  # a broken or unknown photo must not stop the scorecard
        return None
    upright.thumbnail((max_px, max_px), PILImage.Resampling.BICUBIC)
    clean = PILImage.new("RGB", upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=THUMB_QUALITY, optimize=False, progressive=False, subsampling=2)
    return out.getvalue(), clean.width, clean.height


THUMBS_PER_ROW = 4
THUMB_BOX_W, THUMB_BOX_H = WIDTH / THUMBS_PER_ROW - 4 * mm, 32 * mm


PHOTO_CELL_W, PHOTO_CELL_H = 44 * mm, 33 * mm


def picture(thumb: Thumbnail, lang: str, box_w: float, box_h: float) -> Flowable:
    """The re-encoded photo scaled into a box, or a note that it could not be read."""
    clean = reencode_thumbnail(thumb.image)
    if clean is None:
        return para(text("image.unreadable", lang), "cell_small")
    jpeg, w, h = clean
    scale = min(box_w / w, box_h / h)
    return Image(io.BytesIO(jpeg), width=w * scale, height=h * scale, hAlign="LEFT")


def _thumbnail_cell(thumb: Thumbnail, lang: str) -> list[Flowable]:
    caption = para(f"{i18n.date(thumb.date, lang)} · {thumb.item}", "cell_bold")
    photo = picture(thumb, lang, THUMB_BOX_W, THUMB_BOX_H)
    return [photo, Spacer(1, 1.5 * mm), caption, para(thumb.caption, "cell_small")]


def evidence_section(thumbs: Sequence[Thumbnail], lang: str) -> list[Flowable]:
    """The photos that do not sit beside their failed item, in a grid with date, item and caption."""
    if not thumbs:
        return []
    cells: list = [_thumbnail_cell(t, lang) for t in thumbs]
    cells += [""] * (-len(cells) % THUMBS_PER_ROW)
    rows = [cells[i : i + THUMBS_PER_ROW] for i in range(0, len(cells), THUMBS_PER_ROW)]
    table = layout(
        rows,
        [WIDTH / THUMBS_PER_ROW] * THUMBS_PER_ROW,
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
        ],
    )
    # the heading goes with the first row of photos, never alone at the foot of a page
    return [CondPageBreak(THUMB_BOX_H + 30 * mm), KeepTogether([para(text("sec.evidence", lang), "h2"), table])]


def place_photos(data: ScorecardData) -> tuple[dict[tuple[str, str], Thumbnail], list[Thumbnail]]:
    """One photo per listed failed item goes beside it; any other photo goes to the photo section."""
    listed = {(item.date, item.item) for item in data.failed_items}
    beside: dict[tuple[str, str], Thumbnail] = {}
    elsewhere: list[Thumbnail] = []
    for thumb in data.thumbnails:
        key = (thumb.date, thumb.item)
        if key in listed and key not in beside:
            beside[key] = thumb
        else:
            elsewhere.append(thumb)
    return beside, elsewhere
