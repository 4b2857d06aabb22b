"""Tone marks to one style, chat abbreviations from a table, Vietnamese letter classes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_studio.core.errors import ConfigError
from lstm_studio.core.normalization import (
    AbbreviationExpander,
    check_table,
    default_table,
    format_table,
    has_vietnamese_only_letters,
    lacks_diacritics,
    parse_table,
    read_table,
    tone_normalizer,
)

NEW, OLD = tone_normalizer("new"), tone_normalizer("old")


@pytest.mark.parametrize(("old", "new"), [
    ("hòa", "hoà"), ("thúy", "thuý"), ("khỏe", "khoẻ"), ("thủy", "thuỷ"), ("tòa", "toà"),
    ("họa", "hoạ"), ("xõa", "xoã"), ("Hòa", "Hoà"), ("THỦY", "THUỶ"), ("tùy", "tuỳ"),
])
def test_open_oa_oe_uy_syllables_move_the_mark_between_styles(old: str, new: str) -> None:
    assert NEW(old) == new and NEW(new) == new
    assert OLD(new) == old and OLD(old) == old


@pytest.mark.parametrize("word", ["hoàn", "toàn", "huỳnh", "khoảng", "quý", "quà", "mùa",
                                  "người", "thuở", "hoa", "Hà_Nội", "hay"])
def test_words_without_a_style_choice_are_left_alone(word: str) -> None:
    assert NEW(word) == word and OLD(word) == word


def test_a_misplaced_mark_before_a_final_consonant_goes_to_the_second_vowel() -> None:
    assert NEW("hòan toàn") == OLD("hòan toàn") == "hoàn toàn"
    assert NEW("hùynh") == "huỳnh"


def test_tone_marks_in_context_keep_everything_else() -> None:
    text = "Hòa bình 😊, khỏe_mạnh! 東京 hòa-hợp 123 thủy"
    assert NEW(text) == "Hoà bình 😊, khoẻ_mạnh! 東京 hoà-hợp 123 thuỷ"
    assert NEW("") == ""


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_tone_normalisation_is_idempotent_and_never_crashes(text: str) -> None:
    once = NEW(text)
    assert NEW(once) == once
    assert OLD(OLD(text)) == OLD(text)


TABLE = {"ko": "không", "k": "không", "dc": "được", "bt": "bình thường"}


def test_abbreviations_expand_whole_tokens_keeping_case_and_punctuation() -> None:
    expand = AbbreviationExpander(TABLE)
    assert expand("Ko ngon, k biết nữa.") == "Không ngon, không biết nữa."
    assert expand("KO dc (bt)") == "KHÔNG được (bình thường)"
    assert expand("k-pop, 50k, kk, k_ok, ko.ko") == "k-pop, 50k, kk, k_ok, ko.ko"


def test_a_short_form_after_a_number_is_a_unit() -> None:
    expand = AbbreviationExpander(TABLE)
    assert expand("giá 50 k , ko đắt") == "giá 50 k , không đắt"
    assert expand("2 (k) thôi") == "2 (k) thôi"


def test_when_punctuation_and_digits_go_later_a_short_form_touching_them_expands() -> None:
    """In a pipeline that removes punctuation and digits after this step, a comma typed
    without a space no longer hides a negation, a unit goes with its number, and cleaning the
    cleaned text changes nothing."""
    from lstm_studio.core.cleaning_steps import apply_cleaning
    from lstm_studio.core.config import CleaningConfig

    pipeline = CleaningConfig(segment="off", abbreviations=TABLE)
    cases = {"ngon,ko đắt": "ngon không đắt", "Ko.dc": "không được", "giá 50k , ko đắt":
             "giá không đắt", "2 (k) thôi": "thôi", "k_": "không", "ko😀ngon": "không ngon",
             "0Z": "z", "abc_ko": "abc_ko"}
    for text, cleaned in cases.items():
        assert apply_cleaning(text, pipeline) == cleaned, text
        assert apply_cleaning(cleaned, pipeline) == cleaned, cleaned
    # Keeping punctuation and digits keeps the strict contexts: nothing is dropped.
    kept = CleaningConfig(segment="off", abbreviations=TABLE,
                          steps={"expand_abbreviations": True, "lowercase": True})
    assert apply_cleaning("giá 50k, ngon,ko", kept) == "giá 50k, ngon,ko"
    assert apply_cleaning("giá 50 k , ko đắt", kept) == "giá 50 k , không đắt"


def test_abbreviations_leave_other_scripts_emoji_and_empty_text_alone() -> None:
    expand = AbbreviationExpander(TABLE)
    assert expand("") == ""
    assert expand("東京 😊 ko") == "東京 😊 không"
    assert AbbreviationExpander({})("ko") == "ko"


def test_shipped_table_has_the_issue_examples_and_round_trips() -> None:
    table = default_table()
    for short, long in (("ko", "không"), ("k", "không"), ("dc", "được"), ("đc", "được"),
                        ("bt", "bình thường")):
        assert table[short] == long
    assert parse_table(format_table(table)) == table
    check_table(table)
    table["ko"] = "edited"
    assert default_table()["ko"] == "không"  # callers get a copy


@pytest.mark.parametrize(("text", "message"), [
    ("ko = không\nko không\n", "line 2: write 'short = expansion'"),
    ("# comment\n\n50k = năm mươi nghìn\n", "line 3: the short form '50k'"),
    ("ko = không\nk o = không\n", "line 2: the short form 'k o'"),
    ("ko = không 1\n", "line 1: the expansion of 'ko'"),
    ("ko = \n", "line 1: the expansion of 'ko'"),
    ("ko = không\nKO = không\n", "line 2: 'KO' is already in the table"),
])
def test_a_malformed_table_names_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_table(text, "mine.txt")


def test_table_files_are_read_with_clear_errors(tmp_path) -> None:
    good = tmp_path / "t.txt"
    good.write_text("\ufeffko = không  # the usual one\n", encoding="utf-8")
    assert read_table(good) == {"ko": "không"}
    with pytest.raises(ConfigError, match="does not exist"):
        read_table(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ko = kh\xf4ng\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_table(bad)
    with pytest.raises(ConfigError, match=r"t\.txt, line 2"):
        good.write_text("ko = không\noops\n", encoding="utf-8")
        read_table(good)
    with pytest.raises(ConfigError, match="must map"):
        check_table({"ko": 1})


def test_letter_classes() -> None:
    assert has_vietnamese_only_letters("cô giáo dễ thương")  # ễ, ư
    assert has_vietnamese_only_letters("đi")
    assert not has_vietnamese_only_letters("chán quá")  # á is French and Spanish too
    assert not has_vietnamese_only_letters("café très bon")
    assert lacks_diacritics("ko ngon lam")
    assert not lacks_diacritics("không ngon")
    assert not lacks_diacritics("")  # no letters at all
    assert not lacks_diacritics("123 😊")


def test_characters_that_cleaning_twice_used_to_read_differently() -> None:
    """Each of these made the cleaned text clean to something else (found by the fuzz tests)."""
    from lstm_studio.core.cleaning_steps import apply_cleaning, lowercase, normalize_unicode
    from lstm_studio.core.config import CleaningConfig

    # a dotted capital I: looked up as "iu" (it raised KeyError inside the step), lowered
    # without a stray combining dot
    assert AbbreviationExpander({"iu": "yêu"})("anh İU em") == "anh YÊU em"
    assert lowercase("İ") == "i" and lowercase("İ\u0301") == "í"
    # invisible format characters go first, before any step reads words around them
    assert normalize_unicode("k\u00adhông\u200bngon") == "không ngon"
    # a combining mark typed on a digit goes with the digit
    pipeline = CleaningConfig(segment="off")
    for text in ("xin0\u0301 chào", "k\u00ad", "ngon\\nko"):
        once = apply_cleaning(text, pipeline)
        assert apply_cleaning(once, pipeline) == once, text
    assert apply_cleaning("xin0\u0301 chào", pipeline) == "xin chào"
