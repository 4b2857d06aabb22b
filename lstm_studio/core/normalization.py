"""Vietnamese as people type it: one tone-mark placement, chat abbreviations, letter classes.

Two optional cleaning steps live here, each a plain `str -> str` function once configured:

* Tone marks. The same word is typed "hòa" or "hoà", "thủy" or "thuỷ": for an open syllable
  whose vowel pair is oa, oe or uy, the old style puts the mark on the first vowel and the new
  style on the second. Both are correct Vietnamese, so a vocabulary would count two words.
  We move the mark to the chosen style's vowel (default new, the style of pyvi's dictionary).
  Closed syllables ("hoàn", "huỳnh") take the mark on the second vowel in both styles, so
  a mark typed on the first ("hòan") is moved there too. "quy" is not touched: its "u"
  belongs to the consonant "qu".
* Abbreviations. Chat text writes "ko"/"k" for "không", "dc"/"đc" for "được". A table
  (shipped as resources/text/abbreviations-vi.txt, editable by the user) maps whole tokens,
  case-insensitively, to their expansion. A token counts as whole when whitespace, an
  opening bracket or quote precede it and whitespace or sentence punctuation follow it, so
  "k-pop", "50k" and "k_" are left alone; a token right after a number is a unit ("50 k" is
  fifty thousand) and is left alone too.

Also here: which letters are Vietnamese (for the language filter's short-text rules) and
whether a text was typed without any diacritics (counted in the cleaning report).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path

from lstm_studio.core.errors import ConfigError

# --- letters --------------------------------------------------------------------------------

_VOWELS = "aăâeêioôơuưy"
_TONED = {
    "a": "àáảãạ", "ă": "ằắẳẵặ", "â": "ầấẩẫậ", "e": "èéẻẽẹ", "ê": "ềếểễệ", "i": "ìíỉĩị",
    "o": "òóỏõọ", "ô": "ồốổỗộ", "ơ": "ờớởỡợ", "u": "ùúủũụ", "ư": "ừứửữự", "y": "ỳýỷỹỵ",
}
# Every non-ASCII letter of the Vietnamese alphabet, both cases.
VIETNAMESE_LETTERS = frozenset(
    "ăâđêôơư" + "".join(_TONED.values()) + "ĂÂĐÊÔƠƯ" + "".join(_TONED.values()).upper()
)
# The ones no other widely written language uses: ă đ ơ ư, the hook above, the dot below, a
# tilde on i/u/y/e, and every stacked pair (circumflex, breve or horn plus a tone). (ă is also
# Romanian and đ Croatian, both rare in Vietnamese review corpora.) á, è, â, ô, ã ... are
# shared with French, Spanish or Portuguese and do not prove a text is Vietnamese.
_SHARED = set("àáèéìíòóùúýâêôãõ")
VIETNAMESE_ONLY_LETTERS = frozenset(c for c in VIETNAMESE_LETTERS if c.lower() not in _SHARED)
_VIETNAMESE_ONLY_RE = re.compile("[" + "".join(sorted(VIETNAMESE_ONLY_LETTERS)) + "]")
_NON_ASCII_LETTER_RE = re.compile(r"[^\W\d_a-zA-Z]")
_ASCII_LETTER_RE = re.compile(r"[a-zA-Z]")


def has_vietnamese_only_letters(text: str) -> bool:
    return _VIETNAMESE_ONLY_RE.search(text) is not None


def lacks_diacritics(text: str) -> bool:
    """True for a text with Latin letters but not a single accented one ("ko ngon lam")."""
    return _ASCII_LETTER_RE.search(text) is not None and not _NON_ASCII_LETTER_RE.search(text)


# --- tone marks ----------------------------------------------------------------------------

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_FINALS = ("ch", "ng", "nh", "c", "m", "n", "p", "t")
# A word with oa, oe or uy where either vowel carries a tone (the only words that can change).
_CANDIDATE_RE = re.compile(
    r"[^\W\d_]*(?:[òóỏõọ][ae]|o[àáảãạèéẻẽẹ]|[ùúủũụ]y|u[ỳýỷỹỵ])[^\W\d_]*", re.IGNORECASE
)


def _retone(word: str, style: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONE_MARKS]
    if len(tones) != 1:
        return word
    base = decomposed.replace(tones[0], "")
    letters = unicodedata.normalize("NFC", base).lower()
    if len(letters) != len(base):  # other marks (circumflex, horn...): not an oa/oe/uy word
        return word
    for pair in ("oa", "oe", "uy"):
        at = letters.find(pair)
        if at < 0:
            continue
        onset, rest = letters[:at], letters[at + 2:]
        if any(c in _VOWELS for c in onset) or (pair == "uy" and onset.endswith("q")):
            return word
        if rest and rest not in _FINALS:
            return word
        target = at if (style == "old" and not rest) else at + 1
        return unicodedata.normalize("NFC", base[:target + 1] + tones[0] + base[target + 1:])
    return word


def tone_normalizer(style: str) -> Callable[[str], str]:
    """The tone-mark step for one style ("new": hoà, thuý; "old": hòa, thúy); NFC input."""

    def normalize_tone_marks(text: str) -> str:
        if not _CANDIDATE_RE.search(text):
            return text
        return _CANDIDATE_RE.sub(lambda match: _retone(match.group(0), style), text)

    return normalize_tone_marks


# --- abbreviation tables --------------------------------------------------------------------

DEFAULT_TABLE = ("text", "abbreviations-vi.txt")
MAX_TABLE_BYTES = 1_000_000
MAX_TABLE_ENTRIES = 20_000
_KEY_RE = re.compile(r"[^\W\d_]+")
_EXPANSION_RE = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")


def parse_table(text: str, name: str = "the abbreviation table") -> dict[str, str]:
    """Parse `short = expansion` lines ("#" starts a comment); errors name the line."""
    if len(text) > MAX_TABLE_BYTES:
        raise ConfigError(f"{name} is larger than {MAX_TABLE_BYTES // 1000} kB; an abbreviation "
                          "table holds one short line per entry.")
    table: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        short, sep, expansion = (part.strip() for part in line.partition("="))
        expansion = " ".join(expansion.split())
        where = f"{name}, line {number}"
        if not sep:
            raise ConfigError(f"{where}: write 'short = expansion' (for example 'ko = không'), "
                              f"not {raw.strip()!r}.")
        if not _KEY_RE.fullmatch(short):
            raise ConfigError(f"{where}: the short form {short!r} must be one word of letters "
                              "(no spaces, digits or punctuation).")
        if not _EXPANSION_RE.fullmatch(unicodedata.normalize("NFC", expansion)):
            raise ConfigError(f"{where}: the expansion of {short!r} must be words made of "
                              f"letters, not {expansion!r}.")
        key = unicodedata.normalize("NFC", short).lower()
        if key in table:
            raise ConfigError(f"{where}: {short!r} is already in the table.")
        table[key] = unicodedata.normalize("NFC", expansion)
        if len(table) > MAX_TABLE_ENTRIES:
            raise ConfigError(f"{name} has more than {MAX_TABLE_ENTRIES:,} entries.")
    return table


def format_table(table: Mapping[str, str]) -> str:
    """The text `parse_table` reads back, one entry per line."""
    width = max((len(key) for key in table), default=0)
    return "".join(f"{key:<{width}} = {value}\n" for key, value in table.items())


def read_table(path: str | Path) -> dict[str, str]:
    """A user's table file; a missing or unreadable file is one clear sentence."""
    source = Path(path)
    try:
        if source.stat().st_size > MAX_TABLE_BYTES:
            raise ConfigError(f"{source} is larger than {MAX_TABLE_BYTES // 1000} kB; an "
                              "abbreviation table holds one short line per entry.")
        text = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise ConfigError(f"Abbreviation table {source} does not exist.") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"Abbreviation table {source} is not UTF-8 text.") from error
    except OSError as error:
        raise ConfigError(f"Abbreviation table {source} cannot be read "
                          f"({error.strerror}).") from error
    return parse_table(text, source.name)


_default: dict[str, str] | None = None


def default_table() -> dict[str, str]:
    """The shipped table (a copy: callers may edit it)."""
    global _default
    if _default is None:
        from lstm_studio.resources_path import resource

        _default = parse_table(resource(*DEFAULT_TABLE).read_text(encoding="utf-8"),
                               DEFAULT_TABLE[-1])
    return dict(_default)


def check_table(table: object) -> None:
    """Raise ConfigError unless `table` is a {short: expansion} mapping parse_table accepts."""
    if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        raise ConfigError("The abbreviation table must map short forms to expansions.")
    parse_table(format_table(table))


# Opening context: start, whitespace, or an opening bracket or quote. Closing context: end or
# whitespace, after any sentence punctuation. "k-pop", "50k" or "ko.vn" are not matched while
# punctuation and digits stay in the text (see AbbreviationExpander when they go later).
_BEFORE = r"(?<![^\s(\[{\"'“‘«])"
_AFTER = r"(?=[.,!?;:…)\]}\"'”’»]*(?:\s|$))"
_TOKEN_RE = re.compile(r"\S+")
_NUMBER_BEFORE_RE = re.compile(r"\d[\s(\[{\"'“‘«]*$")


def lower_text(text: str) -> str:
    """Lower case as the lowercase step writes it, and as short forms are looked up.

    "İ" (a dotted capital I) lowers to "i" and a combining dot; that dot, not a letter, would
    split the word for the underscore rule the next time the text is cleaned, and "İU" would
    not find "iu" in a table while the cleaned "iu" would."""
    text = text.lower()
    if "\u0307" not in text:
        return text
    return unicodedata.normalize("NFC", text.replace("i\u0307", "i"))  # "İ́" -> "í"


class AbbreviationExpander:
    """The abbreviation step for one table: `expander(text) -> text`.

    When later steps of the same pipeline turn characters into spaces (punctuation, digits,
    emoji), `blank` does the same to a copy of the text, keeping its length, and a short form
    counts as a whole token when it stands between spaces of that copy. With the strict
    contexts above, "ngon,ko đắt" kept its "ko" (a comma before it) and became "ngon ko đắt"
    once the comma was gone: the negation lost, and cleaning the cleaned text again changed
    it. For the same reason, with `drop_units` (the digits go later) a unit goes with its
    number: "giá 50k" leaves "giá", not a "k" that would read as "không" the next time.
    """

    def __init__(self, table: Mapping[str, str], blank: Callable[[str], str] | None = None,
                 drop_units: bool = False) -> None:
        self.table = {lower_text(key): value for key, value in table.items()}
        keys = sorted(self.table, key=lambda key: (-len(key), key))
        alternatives = "(" + "|".join(map(re.escape, keys)) + ")"
        self._pattern = (re.compile(_BEFORE + alternatives + _AFTER, re.IGNORECASE)
                         if keys else None)
        self._blank = blank
        self._drop_units = drop_units
        self._keys = frozenset(self.table)

    def _replace(self, match: re.Match[str]) -> str:
        return self._expand(match.string, match.start(1), match.group(1))

    def _expand(self, text: str, start: int, word: str) -> str:
        if _NUMBER_BEFORE_RE.search(text, max(0, start - 8), start):
            return "" if self._drop_units else word  # a unit: "50 k", "2 kg"
        expansion = self.table.get(lower_text(word))
        if expansion is None:  # matched by the regex's simpler case folding only
            return word
        if len(word) > 1 and word.isupper():
            return expansion.upper()
        if word[0].isupper():
            return expansion[0].upper() + expansion[1:]
        return expansion

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        if self._blank is None:
            return self._pattern.sub(self._replace, text)
        shadow = self._blank(text)
        present = self._keys.intersection(lower_text(shadow).split())
        if not present:
            return text  # most texts: no short form stands alone (a few C-level passes)
        pieces: list[str] = []
        done = 0
        for token in _TOKEN_RE.finditer(shadow):
            if lower_text(token.group()) in present:
                start, end = token.span()
                pieces += (text[done:start], self._expand(text, start, text[start:end]))
                done = end
        return "".join(pieces) + text[done:]
