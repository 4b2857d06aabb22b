"""Word segmentation: join the syllables of a Vietnamese word with "_" ("nhân viên" -> "nhân_viên").

Vietnamese writes every syllable apart, so whitespace tokens are syllables, while the unit of
meaning (and of a vocabulary) is the word: a third of NTC-SCV's frequent words are compounds.
A corpus segmented by one tool and a sentence typed later must therefore meet the same
segmenter, or the model reads other tokens.

The segmenter is pyvi's CRF (MIT licence; chosen on the measurements in docs/vietnamese.md).
We use its model to label syllables and decide the joins ourselves, so the step only ever
replaces the whitespace between two syllables by "_" and changes nothing else:

* Only text with at least one Vietnamese letter is segmented: English (pyvi would happily
  write "The_staff") and Vietnamese typed without diacritics (which pyvi's model never saw)
  are left as they are.
* Only syllables shaped like Vietnamese ones join ("staff", "coffee", "view" never do), and
  only when nothing but spaces separates them (no punctuation, no line break). Other scripts,
  numbers, emoji and URLs pass through as context for the labeller.
* Idempotent. A text that already holds a joined word is taken as segmented and returned as it
  is, so an already segmented corpus is unchanged, and segmenting twice equals segmenting once.
* pyvi's own rule is kept: a capitalised syllable does not join a lower-case one before it.

pyvi reads its bundled model with pickle when imported. That file ships inside the installed
pyvi package (never anything a user supplies), which is the one case where we accept it.
Its estimator class imports scikit-learn only to inherit a base class and falls back to a
plain one without it, so we hide scikit-learn during that import: 0.1 s instead of 0.7 s
(and scikit-learn and SciPy stay out of the frozen app).
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from typing import Any

from lstm_studio.core.errors import ConfigError

LIBRARY = "pyvi"
INSTALL_HINT = "pip install pyvi==0.1.1"

# Two letters joined by "_": the mark of a segmented word (digits and stray "_" do not count).
JOINED_RE = re.compile(r"[^\W\d_]_[^\W\d_]")
# A token that may join: Latin letters, with punctuation allowed only around them.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_SYLLABLE_RE = re.compile(rf"([^\w\s]*)([{_LATIN}]+)([^\w\s]*)")
_TOKEN_RE = re.compile(r"\S+")
_VOWEL = "aăâeêioôơuưyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ"
# Onset, one to three vowels, final: the shape of every Vietnamese syllable (lower case).
_VIETNAMESE_SYLLABLE_RE = re.compile(
    rf"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnpqrstvx])?[{_VOWEL}]{{1,3}}"
    r"(?:ch|ng|nh|[cmnpt])?")
_VIETNAMESE_LETTER_RE = re.compile(rf"[{_VOWEL[12:]}ăâêôơưđ]", re.IGNORECASE)
WINDOW = 4000  # syllables labelled at once: bounds the memory of one huge document
# A corpus "looks segmented" when at least this share of its word tokens are joined words
# (NTC-SCV: 11.6% of all tokens; unsegmented Vietnamese text: about 0).
SEGMENTED_SHARE = 0.03


def version() -> str | None:
    """The installed pyvi version, without importing it (None when it is missing)."""
    return _installed_version()


@functools.lru_cache(maxsize=1)
def _installed_version() -> str | None:
    # Looked up once per process: every prediction checks it, and a metadata search costs
    # milliseconds.
    try:
        return metadata.version(LIBRARY)
    except metadata.PackageNotFoundError:
        return None


def description() -> str | None:
    """"pyvi 0.1.1": what a model file records as its segmenter (None without pyvi)."""
    found = version()
    return f"{LIBRARY} {found}" if found else None


def require() -> str:
    """The segmenter's description, or a ConfigError saying how to install it."""
    found = description()
    if found is None:
        raise ConfigError(f"Word segmentation needs {LIBRARY}, which is not installed; "
                          f"install it ({INSTALL_HINT}) or turn segmentation off.")
    return found


_lock = threading.Lock()
_labeller: Callable[[list[str]], Sequence[str]] | None = None


def _load() -> Callable[[list[str]], Sequence[str]]:
    """pyvi's feature function and CRF as one `syllables -> labels` call (once per process)."""
    global _labeller
    with _lock:
        if _labeller is None:
            hide = "sklearn" not in sys.modules
            if hide:
                sys.modules["sklearn"] = None  # type: ignore[assignment]  # see module doc
            try:
                from pyvi.ViTokenizer import ViTokenizer
            except ImportError as error:
                raise ConfigError(f"Word segmentation needs {LIBRARY}, which is not "
                                  f"installed; install it ({INSTALL_HINT}).") from error
            finally:
                if hide:
                    sys.modules.pop("sklearn", None)
            features, crf = ViTokenizer.sent2features, ViTokenizer.model

            def label(syllables: list[str]) -> Sequence[str]:
                return crf.predict_single(features(syllables, False))

            _labeller = label
        return _labeller


def preload() -> None:
    """Import pyvi now (a worker thread calls this so that typing never waits for it)."""
    _load()


def is_segmented(text: str) -> bool:
    return JOINED_RE.search(text) is not None


_syllable_cache: dict[str, bool] = {}


def _is_vietnamese_syllable(word: str) -> bool:
    known = _syllable_cache.get(word)
    if known is None:
        known = _VIETNAMESE_SYLLABLE_RE.fullmatch(word.lower()) is not None
        if len(_syllable_cache) < 200_000:
            _syllable_cache[word] = known
    return known


def segment(text: str) -> str:
    """`text` with the syllables of each word joined by "_" (see the module doc for the rules)."""
    if not text or is_segmented(text) or not _VIETNAMESE_LETTER_RE.search(text):
        return text
    tokens = list(_TOKEN_RE.finditer(text))
    items: list[str] = []  # what pyvi labels: syllables, plus punctuation and other tokens
    syllable_at: list[int] = []  # item index of each token's syllable, -1 when none
    for token in tokens:
        match = _SYLLABLE_RE.fullmatch(token.group(0))
        if match is None:
            syllable_at.append(-1)
            items.append(token.group(0))
            continue
        lead, core, trail = match.groups()
        if not _is_vietnamese_syllable(core):
            syllable_at.append(-1)
            items.append(token.group(0))
            continue
        if lead:
            items.append(lead)
        syllable_at.append(len(items))
        items.append(core)
        if trail:
            items.append(trail)
    if sum(1 for index in syllable_at if index >= 0) < 2:
        return text
    labels: list[str] = []
    label = _load()
    for start in range(0, len(items), WINDOW):
        labels.extend(label(items[start:start + WINDOW]))
    pieces: list[str] = []
    previous_end = 0
    for number, token in enumerate(tokens):
        gap = text[previous_end:token.start()]
        here, before = syllable_at[number], syllable_at[number - 1] if number else -1
        joins = (before >= 0 and here == before + 1 and labels[here] == "I_W"
                 and "\n" not in gap and not (items[here][0].isupper()
                                              and not items[before][0].isupper()))
        pieces.append("_" if joins else gap)
        pieces.append(token.group(0))
        previous_end = token.end()
    pieces.append(text[previous_end:])
    return "".join(pieces)


# --- corpus-level figures -------------------------------------------------------------------

# A whitespace token holding a letter, matched from its first character: one match per such
# token, found by the regex engine in one call (the cleaning workers count these for every
# document, and a Python loop over tokens cost a third of their time).
_LETTER_TOKEN_RE = re.compile(r"(?<!\S)\S*?[^\W\d_]\S*")


def word_tokens(text: str) -> int:
    """Whitespace tokens with a letter ("word tokens")."""
    return len(_LETTER_TOKEN_RE.findall(text))


def joined_counts(texts: Iterable[str]) -> tuple[int, int]:
    """(word tokens, of which joined by "_"): word tokens are whitespace tokens with a letter."""
    words = joined = 0
    for text in texts:
        words += word_tokens(text)
        if "_" in text:  # a token with letter_letter holds a letter: it is a word token
            joined += sum(1 for token in text.split()
                          if "_" in token and JOINED_RE.search(token))
    return words, joined


def looks_segmented(words: int, joined: int) -> bool:
    return words > 0 and joined / words >= SEGMENTED_SHARE


def auto_decision(vietnamese_documents: int, documents: int) -> tuple[bool, str]:
    """Segmentation for `--segment auto`: on when most documents are written in Vietnamese
    letters and pyvi is installed. Returns (on, the reason in words for the report)."""
    share = vietnamese_documents / documents if documents else 0.0
    if share < 0.5:
        return False, (f"off: only {share:.0%} of the documents use Vietnamese letters, so "
                       "this does not look like a Vietnamese corpus")
    found = description()
    if found is None:
        return False, (f"off: {share:.0%} of the documents are Vietnamese but {LIBRARY} is "
                       f"not installed ({INSTALL_HINT})")
    return True, f"on ({found}): {share:.0%} of the documents use Vietnamese letters"


def describe_config(segment: str, segmenter: str | None) -> dict[str, Any]:
    """What a text pipeline records about segmentation (model files, --json output)."""
    return {"enabled": segment == "on", "segmenter": segmenter if segment == "on" else None}
