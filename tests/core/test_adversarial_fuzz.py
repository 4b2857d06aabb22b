"""Random Unicode against every cleaning step, with a fixed seed and a deadline.

The seed makes a failure reproducible on every machine; the deadline (generous, the machine
may be shared) turns catastrophic regex backtracking into a failure instead of a hang. Texts
come from all of Unicode, lone surrogates included (a JSON escape can produce one), and from
fragments that look like markup, URLs, emoticons and entities, repeated thousands of times.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from adversarial import cli_error
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from lstm_studio.core.cleaning_steps import apply_cleaning, configured_steps, run_steps
from lstm_studio.core.config import CLEANING_STEPS, LECTURE_STEPS, CleaningConfig
from lstm_studio.core.normalization import default_table

FUZZ = settings(max_examples=100, deadline=timedelta(seconds=2), database=None)
LONG = settings(max_examples=20, deadline=timedelta(seconds=2), database=None)
# Every step on, the Vietnamese ones (abbreviations, tone marks, segmentation) included.
EVERY_STEP = CleaningConfig(segment="on")
STEP_FUNCTIONS = dict(configured_steps(EVERY_STEP))
GROWTH = {"expand_abbreviations": max(len(long) / len(short)
                                      for short, long in default_table().items())}
ANY_CHARACTER = st.characters(codec=None)  # every code point, surrogates included
FRAGMENTS = st.sampled_from([
    "< a", "href = '", "' >", "</a>", "<script>", "http : / /", "https://", "www.", ".com",
    " /x", "@", "&#", "&amp;", "; ", ":", ")", "(", "T_T", "xD", "^^", "_", "__", "\\n", "\\",
    " ", "\t", "\u200b", "\ufeff", "\u0301", "ă", "Ệ", "İ", "ß", "🍑", "👨‍👩‍👧", "🇻🇳", "٣",
    "\ud800",
])


def contained(name: str, text: str) -> str:
    """One step as cleaning runs it (run_steps): the lecture's pure steps never fail; a step
    that leans on a library (pyvi's tagger) may fail on an odd text, and then that text goes
    on unchanged and the failure is counted instead of stopping the run."""
    out, _changed, failed = run_steps(text, [(name, STEP_FUNCTIONS[name])])
    assert isinstance(out, str)
    if failed:
        assert name not in LECTURE_STEPS, f"the pure step {name} failed"
        assert out == text
    return out


@pytest.mark.parametrize("name", CLEANING_STEPS)
@seed(18)
@FUZZ
@given(text=st.text(alphabet=ANY_CHARACTER, max_size=400))
def test_every_step_takes_any_unicode(name: str, text: str) -> None:
    out = contained(name, text)
    assert out == contained(name, text)  # deterministic
    # NFC and lowercasing expand at most threefold; an abbreviation at most to its expansion
    assert len(out) <= GROWTH.get(name, 3) * len(text)


@pytest.mark.parametrize("name", CLEANING_STEPS)
@seed(18)
@LONG
@given(parts=st.lists(FRAGMENTS, min_size=1, max_size=30),
       repeats=st.integers(min_value=100, max_value=800))
def test_every_step_is_fast_on_long_repetitive_markup(name: str, parts: list[str],
                                                      repeats: int) -> None:
    contained(name, "".join(parts) * repeats)


@seed(18)
@FUZZ
@given(text=st.text(alphabet=ANY_CHARACTER, max_size=400))
def test_cleaning_cleaned_text_changes_nothing(text: str) -> None:
    """Every step but segmentation: cleaning twice is cleaning once."""
    unsegmented = replace(EVERY_STEP, segment="off")
    once = apply_cleaning(text, unsegmented)
    assert apply_cleaning(once, unsegmented) == once


@seed(18)
@FUZZ
@given(text=st.text(alphabet=ANY_CHARACTER, max_size=400) | st.lists(
    st.sampled_from(["Ko", "z", "Z", ",", ":", "0", "50k", "ngon", "vậy", "nhân", "viên", " ",
                     "\\n", "İ", "\u0301", "\u00ad", "😀"]), max_size=30).map("".join))
def test_cleaning_cleaned_text_again_only_joins_words(text: str) -> None:
    """With segmentation, the second cleaning may join two words that punctuation kept apart
    the first time ("A:Z" -> "a vậy" -> "a_vậy": the colon is gone by then), and nothing
    else: the joins are decided before punctuation is removed, by design."""
    once = apply_cleaning(text, EVERY_STEP)
    twice = apply_cleaning(once, EVERY_STEP)
    assert twice.replace("_", " ") == once.replace("_", " ")


def test_a_lone_surrogate_from_json_is_refused_not_saved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It cannot be written to a model file or stdout, so it is stopped where it enters."""
    path = tmp_path / "surrogate.jsonl"
    path.write_text('{"text": "ngon \\ud800 qua", "label": "pos"}\n'
                    + json.dumps({"text": "dở", "label": "neg"}) + "\n", encoding="utf-8")
    line = cli_error(capsys, ["data", str(path)])
    assert "surrogate.jsonl:line 1" in line and "\\ud800" in line
