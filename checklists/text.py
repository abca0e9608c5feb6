"""One line of text (a person's, unit's or region's name, a checklist's title): what it may hold.

The rule has one home here, in the pure core, because checklist titles and the server's directory
names both follow it. A name is shown in spreadsheet cells, PDF lines and the tablet's lists, so
it may not hold what none of them can show, nor the invisible characters that make one name look
like another or reorder the text after it ("Trojan Source", CVE-2021-42574).
"""

from __future__ import annotations

import re
import unicodedata

# Refused, each with why: C0 controls, DEL and C1 controls (U+0080..U+009F; no cell or line can
# show them, and U+0085 is a line break to some readers); the Arabic letter mark U+061C and the
# bidirectional controls U+200E/U+200F, U+202A..U+202E and U+2066..U+2069; the zero-width
# characters U+200B..U+200D, U+2060 and U+FEFF; the line and paragraph separators U+2028/U+2029.
_REFUSED: tuple[tuple[int, int, str], ...] = (
    (0x00, 0x1F, "a control character"),
    (0x7F, 0x9F, "a control character"),
    (0x061C, 0x061C, "a bidirectional control"),
    (0x200B, 0x200D, "a zero-width character"),
    (0x200E, 0x200F, "a bidirectional control"),
    (0x2028, 0x2029, "a line or paragraph separator"),
    (0x202A, 0x202E, "a bidirectional control"),
    (0x2060, 0x2060, "a zero-width character"),
    (0x2066, 0x2069, "a bidirectional control"),
    (0xFEFF, 0xFEFF, "a zero-width character"),
)

# The same rule as a pattern, for msgspec and the OpenAPI document. It ends `$(?!\n)`, the house
# convention: msgspec matches with `re.search`, where a bare `$` also matches before a final
# newline; ECMA-262 and JSON Schema read `(?!\n)` at the very end as always true.
ONE_LINE_PATTERN = "^[^" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi, _ in _REFUSED) + "]+$(?!\\n)"
_ONE_LINE = re.compile(ONE_LINE_PATTERN)


def one_line_problem(value: str) -> str | None:
    """Why `value` is not one line of text (naming the first character refused), or None if it is."""
    if _ONE_LINE.search(value):
        return None
    if not value:
        return "must not be empty"
    for position, char in enumerate(value, start=1):
        code = ord(char)
        for lo, hi, what in _REFUSED:
            if lo <= code <= hi:
                return f"U+{code:04X} ({what}) at character {position} is not allowed in one line of text"
    return "not one line of text"


def stored_text(value: str) -> str:
    """The stored form of a name or title: NFC, so that text typed on any keyboard compares equal."""
    return unicodedata.normalize("NFC", value)


def stored_strings(value: object) -> object:
    """A decoded JSON or TOML document with each of its strings in their stored (NFC) form."""
    if isinstance(value, str):
        return stored_text(value)
    if isinstance(value, dict):
        return {key: stored_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stored_strings(item) for item in value]
    return value
