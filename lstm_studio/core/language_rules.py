"""Which documents the language filter keeps, with the reason for each drop in plain words.

langid is reliable on a paragraph and unreliable on a few words: on short reviews such as
"chán ." or "cô giáo xinh ." it guesses Latin, Sundanese or "vi 0.86", and a threshold then
drops genuine Vietnamese. So a text shorter than `short_text_words` words is not dropped on
langid's word alone; it is judged by what the corpus and its own letters say:

1. Any text langid gives to a kept language with at least `threshold` probability is kept.
2. A long text is otherwise dropped: "vi 0.86 < threshold 0.90" or "en 0.99, not vi".
3. A short text is kept when langid's best guess is a kept language, whatever its
   probability, or when it holds letters that only Vietnamese uses (ơ, ư, ă, đ, ả, ạ, ...)
   and Vietnamese is kept.
4. Otherwise it is compared with the corpus's own other languages (those that make at least
   10% of the confidently detected long documents in a language not kept, e.g. the English
   reviews of a Vietnamese corpus): langid is asked again among the kept languages and those
   only, and the text is kept when a kept language wins.
5. With no such language in the corpus, a short text is dropped only when langid is confident
   (at least `threshold`) about a language not kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

COMPETITOR_SHARE = 0.1  # of the confident long detections in languages not kept
COMPETITOR_MIN_DOCUMENTS = 2


@dataclass(frozen=True)
class Detection:
    """What the cleaning workers found out about one cleaned document."""

    language: str  # langid's best guess ("" when the text is empty)
    probability: float
    words: int  # whitespace tokens with a letter
    vietnamese_only: bool  # holds a letter only Vietnamese uses
    scores: Any = None  # np.ndarray of langid log-scores per language (short texts only)


@dataclass(frozen=True)
class Verdict:
    keep: bool
    detail: str = ""  # the reason in words (also for some keeps, e.g. "short text, ...")


def _names(codes: Iterable[str]) -> str:
    return ", ".join(codes)


class LanguageRules:
    """The filter for one corpus: build it from every detection, then `judge` each one."""

    def __init__(self, targets: Sequence[str], threshold: float, short_text_words: int,
                 languages: Sequence[str], detections: Iterable[Detection] = (),
                 votes: Counter[str] | None = None) -> None:
        """`votes` (from `competitor_vote`, counted by a streaming pass) stand in for
        `detections` when the whole corpus cannot be held."""
        self.targets = list(targets)
        self.threshold = threshold
        self.short_text_words = short_text_words
        self.languages = tuple(languages)
        if votes is None:
            votes = Counter(filter(None, (self.competitor_vote(d) for d in detections)))
        self.competitors = competitors_of(votes)
        wanted = set(self.targets) | set(self.competitors)
        self._mask = np.array([name in wanted for name in self.languages], dtype=bool)
        self._restricted = [name for name in self.languages if name in wanted]

    def competitor_vote(self, d: Detection) -> str | None:
        """The language a detection counts for when finding the corpus's other languages
        (a confident long text in a language not kept), else None. A streaming pass counts
        these and passes them to the final rules as `votes`."""
        if (d.words >= self.short_text_words and d.probability >= self.threshold
                and d.language and d.language not in self.targets):
            return d.language
        return None

    def needs_corpus(self, d: Detection) -> bool:
        """Whether `judge`'s verdict on `d` may depend on the corpus's other languages
        (rule 4): only such detections must wait for the whole corpus to be seen."""
        if d.scores is None or d.words >= self.short_text_words:
            return False
        if d.language in self.targets:
            return False
        return not ("vi" in self.targets and d.vietnamese_only)

    def _among_corpus_languages(self, scores: Any) -> tuple[str, float]:
        chosen = np.asarray(scores, dtype=np.float64)[self._mask]
        best = int(np.argmax(chosen))
        with np.errstate(over="ignore"):
            probability = 1.0 / float(np.exp(chosen - chosen[best]).sum())
        return self._restricted[best], probability

    def judge(self, d: Detection) -> Verdict:
        language, p, targets = d.language, d.probability, self.targets
        if language in targets and p >= self.threshold:
            return Verdict(True)
        if d.words >= self.short_text_words:
            if language in targets:
                return Verdict(False, f"{language} {p:.2f} < threshold {self.threshold:.2f}")
            return Verdict(False, f"{language} {p:.2f}, not {' or '.join(targets)}")
        plural = "word" if d.words == 1 else "words"
        short = f"short text ({d.words} {plural})"
        if language in targets:
            return Verdict(True, f"{short}: langid's best guess is {language} ({p:.2f})")
        vietnamese = "vi" in targets
        if vietnamese and d.vietnamese_only:
            return Verdict(True, f"{short}: letters only Vietnamese uses")
        letters = "; no Vietnamese-only letters" if vietnamese else ""
        if self.competitors and d.scores is not None:
            best, q = self._among_corpus_languages(d.scores)
            if best in targets:
                return Verdict(True, f"{short}: {best} {q:.2f} among this corpus's languages "
                                     f"{_names(self._restricted)}")
            return Verdict(False, f"{short}: {best} {q:.2f} among this corpus's languages "
                                  f"{_names(self._restricted)}{letters}")
        if p >= self.threshold:
            return Verdict(False, f"{short}: {language} {p:.2f}{letters}")
        return Verdict(True, f"{short}: no confident guess ({language} {p:.2f})")


def competitors_of(votes: Counter[str]) -> list[str]:
    """The corpus's languages besides the kept ones (rule 4 of the module doc), from the
    confident long detections' languages."""
    total = sum(votes.values())
    return [code for code, count in votes.most_common()
            if count >= COMPETITOR_MIN_DOCUMENTS and count >= COMPETITOR_SHARE * total]
