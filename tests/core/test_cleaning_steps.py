"""Each cleaning step on small fixtures that reproduce what NTC-SCV really contains."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_studio.core.cleaning import clean_steps_trace, clean_text
from lstm_studio.core.cleaning_steps import (
    STEP_FUNCTIONS,
    lowercase,
    normalize_unicode,
    normalize_whitespace,
    remove_emoji,
    remove_punctuation_digits,
    remove_urls_html,
)
from lstm_studio.core.config import CLEANING_STEPS, CleaningConfig

HASHTAG = ("Bò mềm lắm < a class = ' hashtag-link ' href = ' / ho-chi-minh/hashtag/bit-tet-1092 ' "
           "> # bít tết </a> nhé")


def words(text: str) -> list[str]:
    return text.split()


# --- 0. NFC -----------------------------------------------------------------------------------

def test_nfc_composes_decomposed_vietnamese() -> None:
    decomposed = unicodedata.normalize("NFD", "Quán này ngon")
    assert decomposed != "Quán này ngon"
    assert normalize_unicode(decomposed) == "Quán này ngon"


def test_nfc_reattaches_marks_that_tokenisation_split_off() -> None:
    # Real NTC-SCV text: the tokeniser put spaces around the combining marks.
    text = "Qua \u0301 n tui hơi no \u0301 ng mô \u0323 t chu \u0301 t , cu \u0309 a nư \u0303 a"
    assert normalize_unicode(text) == "Quán tui hơi nóng một chút , của nữa"


def test_a_split_mark_at_the_end_of_a_word_does_not_swallow_the_next_word() -> None:
    assert normalize_unicode("la \u0300 25k va \u0300 không") == "là 25k và không"


def test_nfc_leaves_composed_text_alone() -> None:
    assert normalize_unicode("giới_thiệu đến đây") == "giới_thiệu đến đây"


# --- 1. URLs and HTML -------------------------------------------------------------------------

def test_tokenised_hashtag_anchor_loses_the_tag_and_keeps_its_text() -> None:
    assert words(remove_urls_html(HASHTAG)) == ["Bò", "mềm", "lắm", "#", "bít", "tết", "nhé"]


def test_tokenised_closing_tag_and_paragraph_tags_go() -> None:
    assert words(remove_urls_html("ngon < / a > quá </p> <br/> < p >")) == ["ngon", "quá"]


@pytest.mark.parametrize("link", [
    "http : / / www.example.vn /",
    "https : / / www.facebook.com/NCookVietnam/posts/888743621217046",
    "<https://foody.com>",
    "https://foody.vn/ho-chi-minh/quan-a?x=1",
    "www.foody.vn/ho-chi-minh/5elements",
    "foody.vn",
    "a.b@gmail.com",
])
def test_links_in_every_shape_disappear(link: str) -> None:
    assert words(remove_urls_html(f"Nguồn : {link} hay lắm")) == ["Nguồn", ":", "hay", "lắm"]


def test_comparison_signs_are_not_tags() -> None:
    text = "giá < 50k và > 30k , a < b"
    assert remove_urls_html(text) == text


def test_html_entities_become_their_characters_even_tokenised() -> None:
    assert remove_urls_html("A & amp ; B & gt ; C &#39;") == "A & B > C '"


# --- 2. punctuation and digits ----------------------------------------------------------------

def test_punctuation_and_digits_go_but_word_joining_underscores_stay() -> None:
    text = "Mình được 1 cô bạn giới_thiệu đến đây , tìm địa_chỉ khá dễ . 45k/người !"
    assert words(remove_punctuation_digits(text)) == [
        "Mình", "được", "cô", "bạn", "giới_thiệu", "đến", "đây", "tìm", "địa_chỉ", "khá", "dễ",
        "k", "người"]


def test_stray_underscores_go() -> None:
    assert words(remove_punctuation_digits("_abc_ món_1 __x__ a__b")) == [
        "abc", "món", "x", "a_b"]


def test_emoticons_go_whole_with_punctuation_leaving_no_letter_behind() -> None:
    assert words(remove_punctuation_digits("nice : - D ngon : v quá \\ o /")) == [
        "nice", "ngon", "quá"]


def test_a_letter_after_a_colon_that_starts_a_word_is_kept() -> None:
    assert words(remove_punctuation_digits("Món : Dê nướng")) == ["Món", "Dê", "nướng"]


def test_other_scripts_digits_and_currency_go() -> None:
    assert words(remove_punctuation_digits("giá ٣٤ ₫ ½ “ngon” — rẻ")) == ["giá", "ngon", "rẻ"]


# --- 3. emoji, emoticons, flags ---------------------------------------------------------------

@pytest.mark.parametrize("noise", [
    "🍑🍑", "💣", "😊", "🇻🇳", "👨\u200d👩\u200d👧", "👍🏽", "❤️", "☕", "©",
    ": )", ":)", ": - D", "= ) )", "^ ^", "< 3", "T_T", "-_-", ";)", "xD",
])
def test_emoji_and_emoticons_disappear(noise: str) -> None:
    assert words(remove_emoji(f"ngon {noise} quá")) == ["ngon", "quá"]


def test_emoji_step_keeps_ordinary_punctuation() -> None:
    assert remove_emoji("Ngon , rẻ .") == "Ngon , rẻ ."


# --- 4 and 5 ----------------------------------------------------------------------------------

def test_whitespace_runs_of_every_kind_become_one_space() -> None:
    assert normalize_whitespace("  a\n\tb\u00a0 \u200bc\r\n d  ") == "a b c d"


def test_escaped_line_breaks_are_whitespace() -> None:
    assert normalize_whitespace("ngon\\nTôm_lại") == "ngon Tôm_lại"


def test_lowercase_handles_vietnamese_capitals() -> None:
    assert lowercase("ĐÀ LẠT Phố") == "đà lạt phố"


# --- the pipeline -----------------------------------------------------------------------------

LECTURE = [
    ("Mình được 1 cô bạn giới_thiệu đến đây , tìm địa_chỉ khá dễ .\nMenu nước uống chất khỏi "
     "nói . <https://foody.com>",
     "mình được cô bạn giới_thiệu đến đây tìm địa_chỉ khá dễ menu nước uống chất khỏi nói"),
    ("Quán này thấy khá nhiều người bảo mình nên mình đã đi ăn thử , nhưng thực_sự ăn xong "
     "thấy không được ngon. 🍑🍑 </p>",
     "quán này thấy khá nhiều người bảo mình nên mình đã đi ăn thử nhưng thực_sự ăn xong "
     "thấy không được ngon"),
    ("The room is cheap ! ! ! ! It ' s near the city center . The staff is so nice : - D "
     "🍑🍑🍑🍑🍑🍑\\n",
     "the room is cheap it s near the city center the staff is so nice"),
    (HASHTAG, "bò mềm lắm bít tết nhé"),
]


@pytest.mark.parametrize(("raw", "clean"), LECTURE)
def test_the_lectures_examples_come_out_as_expected(raw: str, clean: str) -> None:
    assert clean_text(raw, CleaningConfig()) == clean


def test_disabled_steps_are_skipped() -> None:
    config = CleaningConfig()
    config.steps["lowercase"] = False
    config.steps["remove_punctuation_digits"] = False
    assert clean_text("Ngon , RẺ 🍑", config) == "Ngon , RẺ"


def test_trace_lists_enabled_steps_in_order_ending_with_the_cleaned_text() -> None:
    config = CleaningConfig()
    config.steps["remove_emoji"] = False
    trace = clean_steps_trace(LECTURE[0][0], config)
    # Segmentation is not decided ("auto") on a single text, so it does not run.
    assert [name for name, _ in trace] == [s for s in CLEANING_STEPS
                                           if s not in ("remove_emoji", "segment_words")]
    assert trace[-1][1] == clean_text(LECTURE[0][0], config)
    assert "foody" not in trace[1][1] and "1" in trace[1][1]  # links gone, digits not yet
    assert "1" not in trace[4][1]


@pytest.fixture(scope="module")
def warm_steps() -> None:
    """Run every step once outside the examples: the emoji step builds its character class on
    first use, a one-off cost that must not count against hypothesis's per-example deadline."""
    for function in STEP_FUNCTIONS.values():
        function("warm up 😊 <b>x</b> http://a.vn 123")


@settings(max_examples=150)
@given(st.text(max_size=80))
def test_no_step_crashes_on_arbitrary_unicode(warm_steps: None, text: str) -> None:
    for function in STEP_FUNCTIONS.values():
        assert isinstance(function(text), str)
    cleaned = clean_text(text, CleaningConfig())
    assert cleaned == " ".join(cleaned.split())


@settings(max_examples=60)
@given(st.lists(st.sampled_from(["< a", "href = '", "' >", "</a>", "http : / /", "www.", " ",
                                 ":", ")", "_", "k", "ă", "\u0301", "🍑", "&", "; ", "\\"]),
                max_size=40))
def test_no_step_crashes_on_markup_like_fragments(warm_steps: None, parts: list[str]) -> None:
    text = "".join(parts)
    for function in STEP_FUNCTIONS.values():
        assert isinstance(function(text), str)
