"""The pipeline over a dataset: language drops, empties, the report, workers, cancelling."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lstm_studio.core import cleaning
from lstm_studio.core.cleaning import CleaningResult, clean_dataset
from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.dataset import Dataset, Document, SourceInfo
from lstm_studio.core.errors import Cancelled, ConfigError
from lstm_studio.core.language import LanguageDetector
from lstm_studio.core.progress import Progress

VI = [
    "Mình được 1 cô bạn giới_thiệu đến đây , tìm địa_chỉ khá dễ . Menu nước uống chất khỏi nói .",
    "Quán này thấy khá nhiều người bảo mình nên mình đã đi ăn thử , nhưng thực_sự ăn xong thấy "
    "không được ngon . 🍑🍑 </p>",
    "Qua \u0301 n tui hơi no \u0301 ng mô \u0323 t chu \u0301 t nhưng mo \u0301 n ăn trưa kha "
    "\u0301 ngon va \u0300 đâ \u0300 y đu \u0309",
    "Bánh ngon < a class = ' hashtag-link ' href = ' / ho-chi-minh/hashtag/banh-kem-87246 ' > "
    "# bánh kem bắp </a> , nhân_viên dễ_thương , giá_cả hợp_lý , sẽ quay lại",
]
EN = [
    "The room is cheap ! ! ! ! It ' s near the city center . The staff is so nice : - D 🍑🍑🍑",
    "Visiting_Da_Nang frequently but this is the first time I have found a coffee shop which "
    "has a creative design ( korean style )",
]
EMPTY = ["! ! ! 123 😊 : )", "http : / / www.example.vn /"]


def make_dataset(texts: list[str]) -> Dataset:
    docs = [Document(text, "pos" if i % 2 else "neg", "train", f"fixture:{i}")
            for i, text in enumerate(texts)]
    return Dataset(docs, sources=[SourceInfo("fixture", "csv", len(docs))])


@pytest.fixture(scope="module")
def mixed() -> CleaningResult:
    return clean_dataset(make_dataset(VI + EN + EMPTY), CleaningConfig(), workers=1)


def test_vietnamese_is_kept_cleaned_and_in_order(mixed: CleaningResult) -> None:
    kept = mixed.dataset.documents
    assert [doc.source for doc in kept] == [f"fixture:{i}" for i in range(len(VI))]
    assert kept[0].text == ("mình được cô bạn giới_thiệu đến đây tìm địa_chỉ khá dễ menu nước "
                            "uống chất khỏi nói")
    # Segmented by default (auto: the corpus is in Vietnamese letters); VI[0] and VI[3] already
    # were, so they keep their joins and gain none.
    assert kept[2].text.startswith("quán tui hơi nóng một_chút")
    assert "bánh kem bắp" in kept[3].text and "href" not in kept[3].text
    assert [doc.label for doc in kept] == ["neg", "pos", "neg", "pos"]
    assert mixed.dataset.sources == [SourceInfo("fixture", "csv", 8)]


def test_english_is_dropped_for_language_and_junk_for_emptiness(mixed: CleaningResult) -> None:
    report = mixed.report
    assert report.total == 8 and report.kept == 4
    assert report.dropped_counts() == {"language": 2, "empty": 2}
    by_reason = {(item.reason, item.document.text) for item in report.dropped}
    assert by_reason == {("language", EN[0]), ("language", EN[1]), ("empty", EMPTY[0]),
                         ("empty", EMPTY[1])}
    details = [item.detail for item in report.dropped if item.reason == "language"]
    assert details == ["en 1.00, not vi", "en 1.00, not vi"]


def test_language_histogram_counts_every_checked_document(mixed: CleaningResult) -> None:
    assert mixed.report.languages == {"vi": 4, "en": 2}


def test_steps_changed_counts_documents_per_step(mixed: CleaningResult) -> None:
    assert mixed.report.steps_changed == {
        "normalize_unicode": 1,  # the split marks of VI[2]
        "remove_urls_html": 3,  # </p>, the anchor, the tokenised link
        "expand_abbreviations": 0,
        "normalize_tone_marks": 0,
        "segment_words": 1,  # VI[2]; the others hold "_" already or no Vietnamese letter
        "remove_punctuation_digits": 6,  # not VI[2] (none) nor EMPTY[1] (emptied by step 1)
        "remove_emoji": 3,  # the 🍑 and 😊; emoticons already went with the punctuation
        "normalize_whitespace": 7,  # VI[2] had single spaces only
        "lowercase": 6,  # not the two emptied documents
    }


def test_report_to_dict_has_the_cli_shape(mixed: CleaningResult) -> None:
    data = mixed.report.to_dict()
    assert data["kept"] == 4
    assert data["dropped"] == {"language": 2, "empty": 2}
    assert data["languages"] == {"vi": 4, "en": 2}
    assert data["steps"]["lowercase"] == 6
    assert data["dropped_documents"][0]["reason"] == "language"


def test_more_target_languages_keep_more() -> None:
    config = CleaningConfig(languages=["vi", "en"])
    result = clean_dataset(make_dataset(VI + EN), config, workers=1)
    assert result.report.kept == 6


def test_threshold_is_inclusive_on_the_normalised_probability() -> None:
    text = "quán này ngon"
    language, probability = LanguageDetector().detect(text)
    assert language == "vi" and 0.5 < probability < 1.0
    # short_text_words=1: judged as a long text, by the threshold alone
    at = clean_dataset(make_dataset([text]), CleaningConfig(threshold=probability,
                                                            short_text_words=1), workers=1)
    above = clean_dataset(make_dataset([text]), CleaningConfig(
        threshold=min(1.0, probability + 1e-6), short_text_words=1), workers=1)
    assert at.report.kept == 1
    assert above.report.kept == 0
    threshold = min(1.0, probability + 1e-6)
    assert above.report.dropped[0].detail == f"vi {probability:.2f} < threshold {threshold:.2f}"
    # As the 3-word text it is, langid's best guess (vi) keeps it whatever the threshold.
    short = clean_dataset(make_dataset([text]), CleaningConfig(threshold=threshold), workers=1)
    assert short.report.kept == 1


def test_candidate_languages_limit_the_histogram() -> None:
    config = CleaningConfig(candidate_languages=["vi", "fr"])
    result = clean_dataset(make_dataset(VI + EN), config, workers=1)
    assert set(result.report.languages) <= {"vi", "fr"}
    assert result.report.languages["vi"] == 4


def test_detection_off_and_empty_kept() -> None:
    config = CleaningConfig(detect_language=False, drop_empty=False)
    result = clean_dataset(make_dataset(VI + EN + EMPTY), config, workers=1)
    assert result.report.kept == 8 and result.report.dropped == []
    assert result.report.languages == {}
    assert result.dataset.documents[-1].text == ""


def test_detection_ignores_markup_even_when_that_step_is_off() -> None:
    hashtags = " , ".join(
        f"< a class = ' hashtag-link ' href = ' / ho-chi-minh/hashtag/banh-kem-{i} ' > "
        f"# bánh kem bắp </a>" for i in range(6))
    config = CleaningConfig()
    config.steps["remove_urls_html"] = False
    result = clean_dataset(make_dataset([hashtags]), config, workers=1)
    assert result.report.languages == {"vi": 1}
    assert "href" in result.dataset.documents[0].text


@pytest.mark.parametrize(("change", "message"), [
    ({"threshold": 1.5}, "between 0 and 1"),
    ({"languages": []}, "at least one language"),
    ({"languages": ["vi", "zz"]}, "Unknown language code zz"),
    ({"candidate_languages": ["en", "fr"]}, "candidate"),
    ({"steps": {"remove_html": True}}, "Unknown cleaning step remove_html"),
])
def test_invalid_settings_are_one_clear_error(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        clean_dataset(make_dataset(VI), CleaningConfig(**change), workers=1)


def test_progress_is_reported_up_to_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleaning, "CHUNK_SIZE", 2)
    seen: list[tuple[int, int]] = []
    progress = Progress(lambda done, total, what: seen.append((done, total)), min_interval=0)
    clean_dataset(make_dataset(VI + EN), CleaningConfig(), progress=progress, workers=1)
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert len(seen) == 4


def test_cancelling_in_process_stops_between_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleaning, "CHUNK_SIZE", 2)
    seen: list[int] = []

    def listener(done: int, total: int, what: str) -> None:
        seen.append(done)
        if done >= 2:
            progress.cancel()

    progress = Progress(listener, min_interval=0)
    with pytest.raises(Cancelled):
        clean_dataset(make_dataset(VI + EN + EMPTY), CleaningConfig(), progress=progress,
                      workers=1)
    assert seen == [0, 2]


# --- worker processes (spawn costs ~1 s each, so only a few tests) ----------------------------

def test_results_are_identical_with_one_or_two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleaning, "CHUNK_SIZE", 3)
    dataset = make_dataset((VI + EN + EMPTY) * 3)
    one = clean_dataset(dataset, CleaningConfig(), workers=1)
    two = clean_dataset(dataset, CleaningConfig(), workers=2)
    assert two.report.workers == 2
    assert two.dataset.documents == one.dataset.documents
    assert two.report.dropped == one.report.dropped
    assert two.report.steps_changed == one.report.steps_changed
    assert two.report.languages == one.report.languages


def test_cancelling_stops_the_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleaning, "CHUNK_SIZE", 1)
    dataset = make_dataset((VI + EN) * 20)

    def listener(done: int, total: int, what: str) -> None:
        if done > 0:
            progress.cancel()

    progress = Progress(listener, min_interval=0)
    with pytest.raises(Cancelled):
        clean_dataset(dataset, CleaningConfig(), progress=progress, workers=2)


def test_the_worker_module_does_not_import_torch_or_qt() -> None:
    code = ("import sys, lstm_studio.core.cleaning, lstm_studio.core.vocab; "
            "print(sorted(m for m in ('torch', 'PySide6') if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"


# --- the real data ----------------------------------------------------------------------------

def _load(zips: list) -> Dataset:
    from lstm_studio.core.readers import load_sources

    return load_sources([str(path) for path in zips])


def test_real_ntc_scv_sample_drops_english_and_keeps_vietnamese(ntc_scv_zips: list) -> None:
    dataset = _load(ntc_scv_zips)
    english = [doc for doc in dataset.documents if doc.source.endswith("test/neg/109.txt")
               and doc.split == "valid"]
    sample = dataset.with_documents(dataset.documents[:1500] + english)
    result = clean_dataset(sample, CleaningConfig(filter_splits=["train", "valid"]), workers=1)
    dropped = {item.document.source for item in result.report.dropped}
    assert english[0].source in dropped
    assert result.report.languages["vi"] >= 1450
    assert 1 <= result.report.dropped_counts()["language"] <= 30


@pytest.mark.slow
@pytest.mark.timeout(15 * 60)  # all 50,000 reviews through every step and langid
def test_real_ntc_scv_language_drops_are_the_few_hundred_non_vietnamese(
        ntc_scv_zips: list) -> None:
    result = clean_dataset(_load(ntc_scv_zips), CleaningConfig())
    counts = result.report.dropped_counts()
    assert 150 <= counts["language"] <= 900
    assert counts["empty"] == 0
    assert result.report.kept >= 49_000
    assert result.report.languages["vi"] >= 49_000
    assert result.report.languages.get("en", 0) >= 150
    splits = result.dataset.split_counts()
    assert sum(splits["train"].values()) >= 29_500
