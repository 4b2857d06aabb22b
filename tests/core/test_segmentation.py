"""Word segmentation with pyvi: what joins, what never does, idempotence, failures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_studio.core import segmentation
from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.cleaning_steps import configured_steps, run_steps
from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.segmentation import joined_counts, looks_segmented, segment


def test_compounds_are_joined_and_nothing_else_changes() -> None:
    text = "Nhân viên phục vụ rất thân thiện, đồ ăn ngon!"
    out = segment(text)
    assert out.replace("_", " ") == text
    for word in ("Nhân_viên", "phục_vụ", "thân_thiện"):
        assert word in out.split() or word + "," in out.split()


def test_segmenting_is_idempotent_and_segmented_text_is_unchanged() -> None:
    raw = "khách sạn sạch sẽ , nhân viên thân thiện , giá cả hợp lý"
    once = segment(raw)
    assert once != raw and segment(once) == once
    ntc = "Không biết đúng hương_vị của bánh thế_nào chứ bánh ở chỗ này mình thấy không ngon"
    assert segment(ntc) == ntc  # already segmented (by another tool): left exactly as it is


def test_no_join_across_punctuation_line_breaks_or_non_vietnamese_words() -> None:
    assert segment("nhân.viên") == "nhân.viên"
    assert "thân\nthiện" in segment("rất thân\nthiện")
    assert segment("rất thân, thiện") == "rất thân, thiện"
    mixed = segment("Quán có view đẹp, the staff rất thân thiện, coffee shop ngon")
    assert "the staff" in mixed and "coffee shop" in mixed and "thân_thiện" in mixed


def test_other_scripts_emoji_numbers_and_english_are_left_alone() -> None:
    assert segment("") == ""
    english = "The room is cheap and the staff is so nice"
    assert segment(english) == english  # no Vietnamese letter: pyvi would write The_room
    assert segment("ko ngon lam") == "ko ngon lam"  # no diacritics: pyvi never saw such text
    mixed = "東京 ラーメン 😊😊 giá 50k rất ngon 한국 음식"
    assert segment(mixed).replace("_", " ") == mixed
    assert "東京 ラーメン 😊😊" in segment(mixed) and "한국 음식" in segment(mixed)


def test_a_capitalised_syllable_does_not_join_a_lower_case_one_before_it() -> None:
    out = segment("mình ở Hà Nội")
    assert "ở_Hà" not in out and "Hà_Nội" in out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["nhân", "viên", "thân", "thiện", "Hà", "Nội", ",", "😊",
                                 "the", "東京", "50k", "_", "\n", "ăn", "uống", "ko"]),
                max_size=25))
def test_segmenting_only_ever_replaces_spaces_by_underscores(parts: list[str]) -> None:
    text = " ".join(parts)
    out = segment(text)
    assert len(out) == len(text)
    assert all(a == b or (a == " " and b == "_") for a, b in zip(text, out, strict=True))
    assert segment(out) == out


def test_corpus_figures() -> None:
    words, joined = joined_counts(["nhân_viên thân_thiện , rất ngon", "snake_case 123_456"])
    assert (words, joined) == (5, 3)
    assert looks_segmented(words, joined) and not looks_segmented(100, 2)
    on, why = segmentation.auto_decision(90, 100)
    assert on and "90%" in why and "pyvi" in why
    off, why = segmentation.auto_decision(10, 100)
    assert not off and "10%" in why


def test_without_pyvi_auto_is_off_and_on_is_one_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(segmentation, "version", lambda: None)
    on, why = segmentation.auto_decision(90, 100)
    assert not on and "not installed" in why and "pip install pyvi" in why
    docs = Dataset([Document("nhân viên thân thiện", "pos", "train", "a")])
    result = clean_dataset(docs, CleaningConfig(detect_language=False), workers=1)
    assert result.config.segment == "off" and "not installed" in result.report.segmentation
    with pytest.raises(ConfigError, match="needs pyvi, which is not installed"):
        clean_dataset(docs, CleaningConfig(segment="on"), workers=1)


def test_a_failure_on_one_document_keeps_it_unsegmented_and_is_counted(monkeypatch) -> None:
    real = segmentation._load()

    def fragile(syllables: list[str]):
        if "hỏng" in syllables:
            raise RuntimeError("CRF tagger error")
        return real(syllables)

    monkeypatch.setattr(segmentation, "_labeller", fragile)
    texts = ["nhân viên thân thiện", "món này hỏng rồi thật sự", "đồ ăn ngon tuyệt vời"]
    docs = Dataset([Document(text, "pos", "train", f"d{i}") for i, text in enumerate(texts)])
    result = clean_dataset(docs, CleaningConfig(segment="on", detect_language=False), workers=1)
    kept = [doc.text for doc in result.dataset.documents]
    assert kept[0] == "nhân_viên thân_thiện"
    assert kept[1] == "món này hỏng rồi thật sự"  # unsegmented, but cleaned and kept
    assert result.report.steps_failed == {"segment_words": 1}
    assert result.report.steps_changed["segment_words"] == 2
    # The same text typed later goes through the same steps with the same outcome.
    steps = configured_steps(result.config)
    assert run_steps(texts[1], steps)[0] == kept[1]
