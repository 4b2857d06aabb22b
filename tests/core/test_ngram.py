"""N-gram probabilities checked against counts done by hand (the lecture's section 1)."""

from __future__ import annotations

import math

import pytest

from lstm_studio.core.errors import ConfigError
from lstm_studio.core.ngram import EOS, NGramModel

CORPUS = [s.split() for s in (
    "i go to school",
    "i go to work",
    "you go to school",
    "i like school",
)]


def test_lecture_example_p_school_given_i_go_to() -> None:
    # count(i go to school) = 1, count(i go to) = 2  ->  1/2
    model = NGramModel(4, "add-k", k=0).fit(CORPUS)
    info = model.explain("school", ["i", "go", "to"])
    assert (info["count_ngram"], info["count_context"]) == (1, 2)
    assert info["probability"] == pytest.approx(0.5)
    assert "count(i go to school) / count(i go to) = 1 / 2" in info["formula"]
    # with a trigram model only "go to" is history: count(go to school) = 2, count(go to) = 3
    trigram = NGramModel(3, "add-k", k=0).fit(CORPUS)
    assert trigram.probability("school", ["i", "go", "to"]) == pytest.approx(2 / 3)
    assert [o["order"] for o in trigram.explain("school", ["go", "to"])["orders"]] == [3, 2, 1]


def test_add_one_bigram_by_hand() -> None:
    model = NGramModel(2, "add-k", k=1).fit(CORPUS)
    # V = {i, go, to, school, work, you, like, </s>, <unk>} = 9; count(to school) = 2,
    # count(to) as a history = 3
    assert model.vocab_size == 9
    assert model.probability("school", ["to"]) == pytest.approx((2 + 1) / (3 + 9))
    assert model.probability("banana", ["to"]) == pytest.approx((0 + 1) / (3 + 9))


def test_unigram_sentence_probability_is_a_product_of_word_probabilities() -> None:
    model = NGramModel(1, "add-k", k=0).fit(CORPUS)
    # 15 words + 4 </s> = 19 tokens; counts: i 3, go 3, to 3, school 3
    expected = (3 / 19) ** 4
    assert model.sentence_probability(["i", "go", "to", "school"]) == pytest.approx(expected)


def test_chain_rule_with_sentence_start() -> None:
    model = NGramModel(2, "add-k", k=0).fit(CORPUS)
    # P(i|<s>) = 3/4, P(go|i) = 2/3, P(to|go) = 3/3, P(school|to) = 2/3
    p = model.sentence_probability(["i", "go", "to", "school"])
    assert p == pytest.approx(3 / 4 * 2 / 3 * 1 * 2 / 3)
    with_end = model.sentence_probability(["i", "go", "to", "school"], include_end=True)
    assert with_end == pytest.approx(p * 1.0)  # P(</s>|school) = 3/3
    terms = model.sentence_terms(["i", "go"])
    assert terms[0][:2] == ("i", ["<s>"])


@pytest.mark.parametrize("smoothing", ["add-k", "interpolation", "backoff"])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_every_distribution_sums_to_one(smoothing: str, n: int) -> None:
    model = NGramModel(n, smoothing, k=0.5).fit(CORPUS)
    for context in ([], ["i"], ["go", "to"], ["you", "go", "to"], ["never", "seen"]):
        total = sum(p for _, p in model.distribution(context)) + model.probability("<unk>",
                                                                                   context)
        assert total == pytest.approx(1.0), context


def test_smoothing_gives_unseen_words_probability_and_keeps_order() -> None:
    for smoothing in ("interpolation", "backoff"):
        model = NGramModel(3, smoothing).fit(CORPUS)
        seen = model.probability("school", ["go", "to"])
        unseen = model.probability("like", ["go", "to"])
        assert seen > unseen > 0


def test_perplexity_by_hand() -> None:
    model = NGramModel(1, "add-k", k=0).fit([["a", "b"], ["a"]])
    # tokens: a a b </s> </s> -> P(a)=2/5, P(b)=1/5, P(</s>)=2/5
    expected = math.exp(-(math.log(2 / 5) + math.log(2 / 5)) / 2)  # sentence "a" + </s>
    assert model.perplexity([["a"]]) == pytest.approx(expected)
    assert NGramModel(2, "add-k", k=0).fit(CORPUS).perplexity([["you", "like"]]) == math.inf


def test_generation_is_seeded_greedy_and_stops_at_the_end() -> None:
    model = NGramModel(3, "add-k", k=0).fit(CORPUS)
    assert model.generate(["you"], 10, temperature=0) == ["go", "to", "school"]
    first = model.generate([], 10, seed=3)
    assert first == model.generate([], 10, seed=3)
    assert EOS not in first and len(first) <= 10


def test_invalid_settings() -> None:
    with pytest.raises(ConfigError, match="between 1 and 5"):
        NGramModel(6)
    with pytest.raises(ConfigError, match="smoothing"):
        NGramModel(2, "kneser")
    with pytest.raises(ConfigError, match="negative"):
        NGramModel(2, k=-1)
