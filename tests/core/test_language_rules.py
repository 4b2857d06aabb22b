"""The language filter on short reviews, its reasons in words, and the splits it may touch."""

from __future__ import annotations

import numpy as np
import pytest
from short_reviews import ENGLISH, NO_DIACRITICS, VIETNAMESE

from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.language_rules import Detection, LanguageRules
from lstm_studio.core.normalization import VIETNAMESE_LETTERS


def corpus(split: str = "train") -> Dataset:
    rows = ([(t, lab, "vi") for t, lab in VIETNAMESE] + [(t, lab, "nd") for t, lab in NO_DIACRITICS]
            + [(t, lab, "en") for t, lab in ENGLISH])
    return Dataset([Document(text, label, split, f"{kind}:{i}")
                    for i, (text, label, kind) in enumerate(rows)])


@pytest.fixture(scope="module")
def short_corpus():
    return clean_dataset(corpus(), CleaningConfig(), workers=1)


def has_vietnamese_letters(text: str) -> bool:
    return any(c in VIETNAMESE_LETTERS for c in text)


def test_short_vietnamese_reviews_are_kept_and_english_ones_dropped(short_corpus) -> None:
    dropped = {item.document.source: item for item in short_corpus.report.dropped}
    vietnamese_dropped = [item.document.text for item in dropped.values()
                          if has_vietnamese_letters(item.document.text)]
    assert vietnamese_dropped == []  # issue 12 allows at most 5 on its 16k corpus
    english = {doc.source for doc in corpus().documents if doc.source.startswith("en:")}
    assert english <= set(dropped)
    # Only texts with no Vietnamese letter at all may go with the English ones.
    assert all(not has_vietnamese_letters(item.document.text) for item in dropped.values())
    assert short_corpus.report.corpus_languages == ["en"]


def test_langid_alone_would_drop_the_issues_examples() -> None:
    # short_text_words=1: every text judged by langid and the threshold, as before issue 12
    before = clean_dataset(corpus(), CleaningConfig(short_text_words=1), workers=1)
    texts = {item.document.text for item in before.report.dropped}
    assert {"chán .", "quá nhanh .", "nói lan man .", "cô giáo xinh ."} <= texts
    lost = [text for text in texts if has_vietnamese_letters(text)]
    assert len(lost) >= 8


def test_reasons_are_written_in_words(short_corpus) -> None:
    details = {item.document.text: item.detail for item in short_corpus.report.dropped}
    assert details["so good"].startswith("short text (2 words): en ")
    assert "among this corpus's languages en, vi; no Vietnamese-only letters" in details["so good"]
    long_one = "the lecturer explains everything clearly and gives useful examples"
    assert details[long_one] == "en 1.00, not vi"


def rules(detections: list[Detection], targets=("vi",)) -> LanguageRules:
    return LanguageRules(list(targets), 0.9, 5, ("en", "fr", "vi"), detections)


def scores(en: float, fr: float, vi: float) -> np.ndarray:
    return np.log(np.array([en, fr, vi]))


def test_each_rule_on_crafted_detections() -> None:
    corpus_wide = [Detection("en", 0.99, 20, False)] * 3 + [Detection("vi", 0.99, 30, True)] * 50
    judge = rules(corpus_wide).judge
    assert judge(Detection("vi", 0.95, 12, True)).keep  # confident and long
    assert judge(Detection("vi", 0.86, 12, True)).detail == "vi 0.86 < threshold 0.90"
    assert judge(Detection("fr", 0.99, 12, False)).detail == "fr 0.99, not vi"
    # short: langid's best guess, whatever its probability
    assert judge(Detection("vi", 0.40, 2, False)).keep
    # short: letters only Vietnamese uses
    kept = judge(Detection("ms", 0.99, 1, True))
    assert kept.keep and "letters only Vietnamese uses" in kept.detail
    # short: asked again among the corpus's languages (vi and en here; fr is not one of them)
    assert judge(Detection("fr", 0.70, 2, False, scores(0.2, 0.7, 0.1))).detail.startswith(
        "short text (2 words): en 0.67 among this corpus's languages en, vi")
    assert judge(Detection("fr", 0.70, 2, False, scores(0.1, 0.7, 0.2))).keep


def test_without_other_corpus_languages_only_a_confident_guess_drops_a_short_text() -> None:
    judge = rules([Detection("vi", 0.99, 30, True)] * 10).judge
    assert judge(Detection("en", 0.80, 2, False, scores(0.8, 0.1, 0.1))).keep
    assert judge(Detection("en", 0.95, 2, False, scores(0.95, 0.01, 0.04))).detail == \
        "short text (2 words): en 0.95; no Vietnamese-only letters"
    # a target other than Vietnamese: no word about letters
    judge_en = rules([Detection("en", 0.99, 30, False)] * 10, targets=("en",)).judge
    assert judge_en(Detection("fr", 0.95, 2, False)).detail == "short text (2 words): fr 0.95"


def test_a_stray_language_is_not_a_corpus_language() -> None:
    few = [Detection("vi", 0.99, 30, True)] * 40 + [Detection("en", 0.99, 30, False)] * 20
    few += [Detection("lb", 0.95, 30, False)]  # one odd detection
    assert rules(few).competitors == ["en"]


def split_dataset() -> Dataset:
    docs = []
    for split in ("train", "valid", "test"):
        docs += [Document("nhân viên rất thân thiện và nhiệt tình", "pos", split, f"{split}:vi"),
                 Document("The food was cold and the waiter was rude to us", "neg", split,
                          f"{split}:en"),
                 Document("!!! 😊", "neg", split, f"{split}:empty")]
    return Dataset(docs)


def test_the_test_split_is_never_filtered_and_valid_only_when_asked() -> None:
    result = clean_dataset(split_dataset(), CleaningConfig(), workers=1)
    assert {item.document.source for item in result.report.dropped} == {"train:en",
                                                                         "train:empty"}
    kept = {doc.source: doc.text for doc in result.dataset.documents}
    assert kept["test:en"] == "the food was cold and the waiter was rude to us"  # cleaned
    assert kept["test:empty"] == ""
    assert result.report.spared == {"valid": 2, "test": 2}
    assert result.report.filtered_splits == ["train"]
    asked = clean_dataset(split_dataset(), CleaningConfig(filter_splits=["train", "valid"]),
                          workers=1)
    assert {doc.split for doc in asked.dataset.documents if "en" in doc.source} == {"test"}
    assert asked.report.spared == {"test": 2}
    with pytest.raises(ConfigError, match="test split is always scored whole"):
        clean_dataset(split_dataset(), CleaningConfig(filter_splits=["test"]), workers=1)


def test_texts_without_diacritics_are_counted(short_corpus) -> None:
    report = short_corpus.report
    # kept: "ko ngon lam", "thay day hay" (langid's guess is vi), "bt" and "hay" (a word
    # with no accent); dropped: the English ones, "qua ngon", "ok nha", "ship nhanh"
    assert report.no_diacritics == 4
    assert report.no_diacritics_dropped == len(ENGLISH) + 3
