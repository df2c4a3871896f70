"""Text compared as a reader sees it (generator/textmatch.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.textmatch import normalize, normalize_with_offsets


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("“We plan to start…”", '"We plan to start..."'),
        ("Xiaomi’s Mi5", "Xiaomi's Mi5"),
        ("a — b", "a-b"),
        ("2017–2018", "2017-2018"),
        ("one\n  two", "one two"),
        ("no\u00a0break", "no break"),
        ("wait . . . what", "wait ... what"),
    ],
)
def test_written_differently_reads_the_same(one, other):
    assert normalize(one) == normalize(other)


@pytest.mark.parametrize(("one", "other"), [("its", "it's"), ("Mi5", "Mi 5"), ("a.b", "a b")])
def test_different_words_stay_different(one, other):
    assert normalize(one) != normalize(other)


@given(st.text(alphabet=st.sampled_from("ab .-…’“ \n\u2014"), max_size=30))
def test_each_character_comes_from_its_place_in_the_original(text):
    normalized, offsets = normalize_with_offsets(text)
    assert len(offsets) == len(normalized)
    assert offsets == sorted(offsets)
    for char, offset in zip(normalized, offsets, strict=True):
        if char.isalpha():
            assert text[offset] == char
