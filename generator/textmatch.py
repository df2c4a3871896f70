"""Text compared as a reader sees it: typographic quotes, dashes, ellipses and whitespace
written any way match. Used by `kb verify` (an excerpt against its source's text) and by the
check for quotes recorded twice.
"""

from __future__ import annotations

import re
import unicodedata

# Each typographic character, as the plain one it stands for.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",  # ‛
        "\u2032": "'",  # ′
        "\u00b4": "'",  # ´
        "`": "'",
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u201f": '"',  # ‟
        "\u2033": '"',  # ″
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u00ad": None,  # soft hyphen: invisible
        "\u200b": None,  # zero-width space
    }
)
# Runs the comparison reads as one: an ellipsis written with spaces or without, a dash with
# spaces around it or not ("a — b", "a—b", "a - b"), and any run of whitespace.
_RUN = re.compile(r"\.\s*\.\s*\.|\s*-+\s*|\s+")


def normalize(text: str) -> str:
    """`text` with quotes, dashes and ellipses made plain, each dash and whitespace run made
    one character, and trimmed; compatibility forms folded (NFKC: a no-break space is a
    space, "…" is "...")."""
    return normalize_with_offsets(text)[0]


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize(text)`, with, for each of its characters, the offset in `text` it comes
    from: a match found in normalized text can be shown where it is in the original."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        plain = " " if char.isspace() else unicodedata.normalize("NFKC", char).translate(_PLAIN)
        chars.extend(plain)
        offsets.extend([index] * len(plain))
    joined = "".join(chars)
    out: list[str] = []
    out_offsets: list[int] = []
    position = 0
    while position < len(joined):
        run = _RUN.match(joined, position)
        if run is None:
            out.append(joined[position])
            out_offsets.append(offsets[position])
            position += 1
            continue
        written = run.group()
        shown = "..." if written[0] == "." else "-" if "-" in written else " "
        out.extend(shown)
        out_offsets.extend([offsets[position]] * len(shown))
        position = run.end()
    start, end = 0, len(out)
    while start < end and out[start] == " ":
        start += 1
    while end > start and out[end - 1] == " ":
        end -= 1
    return "".join(out[start:end]), out_offsets[start:end]
