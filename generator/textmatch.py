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
# The same for ASCII text, where NFKC changes nothing: every whitespace character a space.
_ASCII_PLAIN = str.maketrans(
    {**{chr(code): " " for code in range(128) if chr(code).isspace()}, "`": "'"}
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
    if text.isascii():  # the usual case: NFKC changes no ASCII character
        plain = text.translate(_ASCII_PLAIN)
        offsets = list(range(len(text)))
    else:
        chars: list[str] = []
        offsets = []
        for index, char in enumerate(text):
            shown = " " if char.isspace() else unicodedata.normalize("NFKC", char).translate(_PLAIN)
            chars.append(shown)
            offsets.extend([index] * len(shown))
        plain = "".join(chars)
    # Each run the comparison reads as one becomes one character (three for an ellipsis); the
    # text between runs is copied as it is.
    out: list[str] = []
    out_offsets: list[int] = []
    position = 0
    for run in _RUN.finditer(plain):
        out.append(plain[position : run.start()])
        out_offsets.extend(offsets[position : run.start()])
        written = run.group()
        shown = "..." if written[0] == "." else "-" if "-" in written else " "
        out.append(shown)
        out_offsets.extend([offsets[run.start()]] * len(shown))
        position = run.end()
    out.append(plain[position:])
    out_offsets.extend(offsets[position:])
    joined = "".join(out)
    start = len(joined) - len(joined.lstrip(" "))
    end = max(start, len(joined.rstrip(" ")))
    return joined[start:end], out_offsets[start:end]
