"""Our fast language detection must say exactly what langid says."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langid.langid import LanguageIdentifier
from langid.langid import model as langid_model

from lstm_studio.core.errors import ConfigError
from lstm_studio.core.language import LanguageDetector, feature_counts, load_model

TEXTS = [
    "Quán này thấy khá nhiều người bảo mình nên mình đã đi ăn thử , nhưng thực_sự ăn xong",
    "The room is cheap ! ! ! ! It ' s near the city center . The staff is so nice : - D",
    "Visiting_Da_Nang frequently but this is the first time I have found a coffee shop",
    "이 곳 은 저 렴 하 면 서 도 맛 있 는 로 컬 음 식 점 입 니 다",
    "Les oeufs au bacon , le pain est bon , les croissants sublimes .",
    "Che thi minh khong co y kien gi , vi cung khong co gi dac biet",
    "ngon 🍑🍑 😊 🇻🇳",
    "a",
    "",
    "x" * 3000,
]


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_modelstring(langid_model, norm_probs=True)


@pytest.fixture(scope="module")
def model() -> object:
    return load_model()


@pytest.mark.parametrize("text", TEXTS)
def test_feature_counts_are_exactly_langids(reference: LanguageIdentifier, text: str) -> None:
    assert np.array_equal(feature_counts(text, load_model()), reference.instance2fv(text))


@pytest.mark.parametrize("text", TEXTS)
def test_detection_matches_langid(reference: LanguageIdentifier, text: str) -> None:
    language, probability = LanguageDetector().detect(text)
    expected_language, expected_probability = reference.classify(text)
    assert language == expected_language
    assert probability == pytest.approx(expected_probability, abs=1e-9)


@settings(max_examples=60)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60))
def test_feature_counts_match_on_arbitrary_text(reference: LanguageIdentifier,
                                                model: object, text: str) -> None:
    """Both models are loaded by module fixtures, outside the examples: loading takes seconds
    once per process and must not count against hypothesis's per-example deadline."""
    assert np.array_equal(feature_counts(text, model), reference.instance2fv(text))


def test_candidate_languages_restrict_like_langid(reference: LanguageIdentifier) -> None:
    text = "Che thi minh khong co y kien gi , vi cung khong co gi dac biet"
    reference.set_languages(["vi", "en"])
    try:
        expected = reference.classify(text)
    finally:
        reference.set_languages(None)
    detector = LanguageDetector(["vi", "en"])
    assert detector.languages == ("en", "vi")
    language, probability = detector.detect(text)
    assert language == expected[0]
    assert probability == pytest.approx(expected[1], abs=1e-9)


def test_unknown_language_code_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="Unknown language code xx"):
        LanguageDetector(["vi", "xx"])


def test_text_with_lone_surrogates_does_not_crash() -> None:
    language, probability = LanguageDetector().detect("ngon \ud800 quá")
    assert isinstance(language, str) and 0.0 <= probability <= 1.0
