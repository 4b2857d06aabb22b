"""The vocabulary and its statistics."""

from __future__ import annotations

import json

import pytest

from lstm_studio.core.config import VocabConfig
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.tokenize import tokenize
from lstm_studio.core.vocab import BOS, EOS, PAD, UNK, Vocabulary, percentile, vocabulary_stats

TRAIN = [
    "quán ngon giá rẻ",
    "quán đông nhân_viên dễ_thương",
    "ngon ngon quán",
    "phục_vụ chậm",
]


def test_tokenize_splits_on_whitespace_and_keeps_joined_words() -> None:
    assert tokenize(" nhân_viên  phục_vụ\ttốt\n") == ["nhân_viên", "phục_vụ", "tốt"]
    assert tokenize("") == []


def test_specials_come_first_then_frequency_then_alphabet() -> None:
    vocab = Vocabulary.build(TRAIN, VocabConfig())
    assert vocab.itos[:2] == [PAD, UNK]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, None, None)
    # quán 3, ngon 3 (tie: alphabetical), then the count-1 words alphabetically
    assert vocab.itos[2:5] == ["ngon", "quán", "chậm"]
    assert len(vocab) == 2 + 9
    assert vocab.stoi["quán"] == 3


def test_language_model_specials() -> None:
    vocab = Vocabulary.build(TRAIN, VocabConfig(lm_specials=True))
    assert vocab.itos[:4] == [PAD, UNK, BOS, EOS]
    assert (vocab.bos_id, vocab.eos_id) == (2, 3)


def test_min_freq_and_max_size() -> None:
    assert Vocabulary.build(TRAIN, VocabConfig(min_freq=2)).itos == [PAD, UNK, "ngon", "quán"]
    assert Vocabulary.build(TRAIN, VocabConfig(max_size=3)).itos == [PAD, UNK, "ngon"]
    assert len(Vocabulary.build(TRAIN, VocabConfig(max_size=None))) == 11


def test_build_order_does_not_depend_on_text_order() -> None:
    assert Vocabulary.build(TRAIN).itos == Vocabulary.build(list(reversed(TRAIN))).itos


def test_encode_decode_with_unknown_words() -> None:
    vocab = Vocabulary.build(TRAIN)
    ids = vocab.encode("quán ngon tuyệt")
    assert ids == [vocab.stoi["quán"], vocab.stoi["ngon"], vocab.unk_id]
    assert vocab.decode(ids) == ["quán", "ngon", UNK]
    assert vocab.encode_tokens(["chậm", "<pad>"]) == [vocab.stoi["chậm"], 0]
    assert vocab.decode([999, -1]) == [UNK, UNK]


def test_literal_special_tokens_in_text_are_not_counted_as_words() -> None:
    vocab = Vocabulary.build(["<unk> <unk> ngon", "<pad>"])
    assert vocab.itos == [PAD, UNK, "ngon"]


def test_pad_truncates_or_fills() -> None:
    vocab = Vocabulary.build(TRAIN)
    assert vocab.pad([5, 6, 7], 5) == [5, 6, 7, 0, 0]
    assert vocab.pad([5, 6, 7], 2) == [5, 6]
    assert vocab.pad([], 0) == []
    with pytest.raises(ConfigError):
        vocab.pad([1], -1)


def test_round_trip_through_json() -> None:
    vocab = Vocabulary.build(TRAIN, VocabConfig(min_freq=1, max_size=50, lm_specials=True))
    again = Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict(), ensure_ascii=False)))
    assert again == vocab
    assert again.stoi == vocab.stoi
    assert again.config == vocab.config
    assert again.encode("quán ngon xyz") == vocab.encode("quán ngon xyz")


def test_invalid_settings_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="minimum frequency"):
        Vocabulary.build(TRAIN, VocabConfig(min_freq=0))
    with pytest.raises(ConfigError, match="maximum vocabulary size"):
        Vocabulary.build(TRAIN, VocabConfig(max_size=0))
    with pytest.raises(ConfigError, match="<pad> and <unk>"):
        Vocabulary(["a", "b"])


def test_stats_oov_coverage_curve_and_suggested_length() -> None:
    vocab = Vocabulary.build(TRAIN, VocabConfig(min_freq=2))  # ngon, quán
    stats = vocabulary_stats(vocab, TRAIN, ["quán ngon tuyệt vời", "ngon"])
    assert stats.size == 4
    assert stats.oov_rate == pytest.approx(2 / 5)
    total = sum(len(tokenize(text)) for text in TRAIN)  # 13 tokens, 6 of them ngon/quán
    assert stats.coverage == pytest.approx(6 / total)
    assert stats.lengths == [4, 4, 3, 2]
    assert stats.suggested_max_len == 4
    sizes = [size for size, _ in stats.coverage_curve]
    coverages = [value for _, value in stats.coverage_curve]
    assert sizes == sorted(sizes) and sizes[-1] == 2 + 9
    assert coverages == sorted(coverages) and coverages[-1] == pytest.approx(1.0)
    assert stats.coverage_curve[0] == (3, pytest.approx(3 / total))
    assert stats.to_dict()["suggested_max_len"] == 4


def test_stats_of_nothing_are_zero() -> None:
    stats = vocabulary_stats(Vocabulary.build([]), [], [])
    assert (stats.size, stats.oov_rate, stats.coverage, stats.suggested_max_len) == (2, 0, 0, 0)
    assert stats.coverage_curve == []


def test_percentile_is_nearest_rank() -> None:
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([7], 0.95) == 7
    assert percentile([], 0.5) == 0
