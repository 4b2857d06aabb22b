"""The lecture's count-based n-gram language model, the baseline for the neural one.

`P(w | h) = count(h w) / count(h)` with the last n-1 words as history h. Sentences are padded
with n-1 `<s>` and one `</s>`, and count(h) is the number of times h is followed by a word, so
the maximum-likelihood estimates of every context sum to one. Smoothing gives unseen words
some probability: add-k, Jelinek-Mercer interpolation with the lower orders, or backoff with
absolute discounting (Katz style), all normalised over the same vocabulary.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from lstm_studio.core.errors import ConfigError

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
SMOOTHINGS: tuple[str, ...] = ("add-k", "interpolation", "backoff")


class NGramModel:
    def __init__(self, n: int = 3, smoothing: str = "add-k", k: float = 1.0,
                 interpolation_weight: float = 0.7, discount: float = 0.75) -> None:
        if not 1 <= int(n) <= 5:
            raise ConfigError("The n-gram order must be between 1 and 5.")
        if smoothing not in SMOOTHINGS:
            raise ConfigError(f"Unknown smoothing {smoothing!r}; choose one of "
                              f"{', '.join(SMOOTHINGS)}.")
        if k < 0:
            raise ConfigError("The add-k constant cannot be negative.")
        if not 0.0 < interpolation_weight <= 1.0:
            raise ConfigError("The interpolation weight must be above 0 and at most 1.")
        if not 0.0 < discount < 1.0:
            raise ConfigError("The backoff discount must be between 0 and 1.")
        self.n = int(n)
        self.smoothing = smoothing
        self.k = float(k)
        self.weight = interpolation_weight
        self.discount = discount
        # grams[m][(h..., w)] and contexts[m][(h...)] for each order m = 1..n
        self.grams: list[Counter] = [Counter() for _ in range(self.n + 1)]
        self.contexts: list[Counter] = [Counter() for _ in range(self.n + 1)]
        self.followers: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
        self.vocab: set[str] = {EOS, UNK}
        self._backoff_norm: dict[tuple[str, ...], float] = {}

    # -- training ---------------------------------------------------------------------------
    def fit(self, token_lists: Iterable[Sequence[str]]) -> NGramModel:
        for tokens in token_lists:
            self.vocab.update(tokens)
            padded = [BOS] * (self.n - 1) + list(tokens) + [EOS]
            for i in range(self.n - 1, len(padded)):
                for m in range(1, self.n + 1):
                    gram = tuple(padded[i - m + 1:i + 1])
                    self.grams[m][gram] += 1
                    self.contexts[m][gram[:-1]] += 1
        self.vocab.discard(BOS)
        for m in range(2, self.n + 1):
            for gram, count in self.grams[m].items():
                self.followers[gram[:-1]][gram[-1]] = count
        self._backoff_norm.clear()
        return self

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def total_tokens(self) -> int:
        return self.contexts[1][()]

    def _word(self, word: str) -> str:
        return word if word in self.vocab or word == BOS else UNK

    def _context(self, context: Sequence[str]) -> tuple[str, ...]:
        if self.n == 1:
            return ()
        return tuple(self._word(w) for w in context)[-(self.n - 1):]

    # -- probabilities ------------------------------------------------------------------------
    def _ml(self, word: str, ctx: tuple[str, ...]) -> tuple[int, int]:
        m = len(ctx) + 1
        return self.grams[m][(*ctx, word)], self.contexts[m][ctx]

    def _add_k(self, word: str, ctx: tuple[str, ...]) -> float:
        count, total = self._ml(word, ctx)
        denominator = total + self.k * self.vocab_size
        return (count + self.k) / denominator if denominator else 0.0

    def _interpolated(self, word: str, ctx: tuple[str, ...]) -> float:
        if not ctx:
            return self._add_k(word, ())
        lower = self._interpolated(word, ctx[1:])
        count, total = self._ml(word, ctx)
        if total == 0:
            return lower
        return self.weight * count / total + (1.0 - self.weight) * lower

    def _backoff(self, word: str, ctx: tuple[str, ...]) -> float:
        if not ctx:
            return self._add_k(word, ())
        count, total = self._ml(word, ctx)
        if total == 0:
            return self._backoff(word, ctx[1:])
        if count > 0:
            return (count - self.discount) / total
        seen = self.followers.get(ctx, {})
        left = self.discount * len(seen) / total  # probability mass freed by discounting
        norm = self._backoff_norm.get(ctx)
        if norm is None:
            norm = 1.0 - sum(self._backoff(w, ctx[1:]) for w in seen)
            self._backoff_norm[ctx] = norm
        if norm <= 1e-12:
            return 0.0
        return left * self._backoff(word, ctx[1:]) / norm

    def probability(self, word: str, context: Sequence[str] = ()) -> float:
        """P(word | last n-1 words of context) under the chosen smoothing."""
        w, ctx = self._word(word), self._context(context)
        if self.smoothing == "add-k":
            return self._add_k(w, ctx)
        if self.smoothing == "interpolation":
            return self._interpolated(w, ctx)
        return self._backoff(w, ctx)

    def explain(self, word: str, context: Sequence[str] = ()) -> dict[str, Any]:
        """The probability with the counts behind it, for display next to the formula."""
        w, ctx = self._word(word), self._context(context)
        count, total = self._ml(w, ctx)
        p = self.probability(word, context)
        h = " ".join(ctx)
        hw = " ".join((*ctx, w))
        cond = f"P({w} | {h})" if ctx else f"P({w})"
        count_h = f"count({h})" if ctx else "N"
        if self.smoothing == "add-k" and self.k > 0:
            formula = (f"{cond} = (count({hw}) + k) / ({count_h} + k·V) = ({count} + {self.k:g})"
                       f" / ({total} + {self.k:g}·{self.vocab_size}) = {p:.6g}")
        elif self.smoothing == "add-k":
            formula = (f"{cond} = count({hw}) / {count_h} = {count} / {total} = {p:.6g}"
                       if total else f"{cond} is undefined: {count_h} = 0")
        else:
            formula = (f"{cond} = {p:.6g} ({self.smoothing}; maximum likelihood "
                       f"count({hw}) / {count_h} = {count} / {total})")
        orders = []
        for start in range(len(ctx) + 1):
            sub = ctx[start:]
            c, t = self._ml(w, sub)
            orders.append({"order": len(sub) + 1, "context": list(sub), "count_ngram": c,
                           "count_context": t})
        return {
            "n": self.n, "smoothing": self.smoothing, "k": self.k, "word": w,
            "context": list(ctx), "count_ngram": count, "count_context": total,
            "mle": count / total if total else None, "probability": p,
            "vocab_size": self.vocab_size, "formula": formula, "orders": orders,
        }

    # -- sentences ------------------------------------------------------------------------
    def sentence_terms(self, tokens: Sequence[str], include_end: bool = False
                       ) -> list[tuple[str, list[str], float]]:
        """The chain rule's factors: (word, history used, probability) for each word."""
        history = [BOS] * (self.n - 1)
        words = [*tokens, EOS] if include_end else list(tokens)
        terms = []
        for word in words:
            p = self.probability(word, history)
            terms.append((word, list(self._context(history)), p))
            history.append(word)
        return terms

    def sentence_log_probability(self, tokens: Sequence[str], include_end: bool = False) -> float:
        total = 0.0
        for _, _, p in self.sentence_terms(tokens, include_end):
            if p <= 0.0:
                return float("-inf")
            total += math.log(p)
        return total

    def sentence_probability(self, tokens: Sequence[str], include_end: bool = False) -> float:
        """P(w1..wn) by the chain rule, each factor conditioned on the last n-1 words."""
        return math.exp(self.sentence_log_probability(tokens, include_end))

    def perplexity(self, token_lists: Iterable[Sequence[str]]) -> float:
        """exp of the mean negative log-probability per word, each sentence's </s> included."""
        total, count = 0.0, 0
        for tokens in token_lists:
            log_p = self.sentence_log_probability(tokens, include_end=True)
            if log_p == float("-inf"):
                return float("inf")
            total += log_p
            count += len(tokens) + 1
        return math.exp(-total / count) if count else float("nan")

    # -- generation -------------------------------------------------------------------------
    def distribution(self, context: Sequence[str]) -> list[tuple[str, float]]:
        """P(w | context) for every word that can be generated (<unk> left out)."""
        words = sorted(self.vocab - {UNK})
        return [(w, self.probability(w, context)) for w in words]

    def generate(self, prompt_tokens: Sequence[str] = (), max_tokens: int = 20,
                 seed: int | None = None, temperature: float = 1.0) -> list[str]:
        """Sample words after the prompt until </s> or `max_tokens`; temperature 0 is greedy."""
        rng = random.Random(seed)
        history = [BOS] * (self.n - 1) + list(prompt_tokens)
        out: list[str] = []
        for _ in range(max_tokens):
            dist = [(w, p) for w, p in self.distribution(history) if p > 0]
            if not dist:
                break
            if temperature <= 0:
                word = max(dist, key=lambda item: item[1])[0]
            else:
                weights = [p ** (1.0 / temperature) for _, p in dist]
                word = rng.choices([w for w, _ in dist], weights=weights)[0]
            if word == EOS:
                break
            out.append(word)
            history.append(word)
        return out


def vocab_tokens(text: str, stoi: dict[str, int]) -> list[str]:
    """Whitespace tokens with out-of-vocabulary words mapped to <unk>, as the model sees them.

    The neural model's `<unk>` and the n-gram's are the same string, so both models score
    exactly the same token stream and their perplexities are comparable."""
    return [token if token in stoi else UNK for token in text.split()]


def fit_on_vocabulary(train_texts: Sequence[str], stoi: dict[str, int], n: int = 3,
                      smoothing: str = "interpolation") -> NGramModel:
    """An n-gram baseline on exactly the model's vocabulary, so perplexities are comparable."""
    model = NGramModel(n, smoothing=smoothing)
    model.fit([vocab_tokens(text, stoi) for text in train_texts])
    return model
