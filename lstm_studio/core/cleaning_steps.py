"""The text-cleaning steps: the lecture's six, each a pure `str -> str` function, and the
table that binds every step (Vietnamese ones included, see normalization.py and
segmentation.py) to a config, applies them in order and survives a step failing on one text.

The steps are written for the text real review sites produce, not for tidy HTML: NTC-SCV was
tokenised *after* scraping, so markup and links reach us with spaces inside them
(`< a class = ' hashtag-link ' href = '...' > # bít tết </a>`, `http : / / www.foody.vn /`).
Every pattern below therefore allows whitespace between the pieces of a tag or a URL.

Which characters count as punctuation, digits or pictographs is decided from their Unicode
categories (compiled once per process into regex classes), not from hand-written ranges, so
new emoji and scripts are handled without updating a table.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable

from lstm_studio.core.config import (
    CLEANING_STEPS,
    LECTURE_STEPS,
    SEGMENT_STEP,
    CleaningConfig,
)
from lstm_studio.core.normalization import (
    AbbreviationExpander,
    default_table,
    lower_text,
    tone_normalizer,
)
from lstm_studio.core.segmentation import segment

# --- 1. URLs and HTML ------------------------------------------------------------------------

_SCHEME = r"(?:https?|ftp)\s*:\s*/\s*/"
# A URL token may run until whitespace or markup; tokenised URLs continue with " / path" pieces.
_URL_BODY = r"[^\s<>\"']*(?:\s+/[^\s<>\"']*)*"
_TLDS = r"(?:com|vn|net|org|info|biz|edu|gov|html?|php)"  # not "me"/"co": Vietnamese words
_URL_RE = re.compile(
    r"<\s*" + _SCHEME + r"[^<>]*>"  # <https://foody.com>
    + r"|" + _SCHEME + r"\s*" + _URL_BODY  # http://x.vn/a and http : / / x.vn /
    + r"|\bwww\s*\.\s*[^\s<>\"']+(?:\s+/[^\s<>\"']*)*"  # www.example.vn/...
    # bare domains with a well-known ending: foody.vn, facebook.com/page
    + r"|\b[\w-]+(?:\.[\w-]+)*\.(?:" + _TLDS + r")\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
# Cheap test for "might contain a link": most reviews do not, and the full pattern is slow.
_URL_HINT_RE = re.compile(r"/\s*/|www|\.(?:" + _TLDS + r")\b", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Tag names are listed so that ordinary text such as "giá < 50k và > 30k" is never taken
# for a tag; the tokenised form "< / a >" is accepted as well as "</a>".
_TAG_NAMES = (
    "a|abbr|b|blockquote|body|br|button|center|code|del|div|em|font|form|h[1-6]|head|hr|html|"
    "i|iframe|img|input|ins|label|li|link|meta|noscript|ol|option|p|pre|s|script|select|small|"
    "source|span|strike|strong|style|sub|sup|table|tbody|td|textarea|tfoot|th|thead|title|tr|"
    "u|ul|video"
)
_TAG_RE = re.compile(
    r"<\s*/?\s*(?:" + _TAG_NAMES + r")(?![\w-])"
    # attributes: each is a whole word, optionally "= value"; no nested ambiguity, so a "<"
    # without a closing ">" fails in linear time.
    r"(?:\s+[\w:-]+(?:\s*=\s*(?:'[^']*'|\"[^\"]*\"|[^\s'\">]+))?)*\s*/?\s*>"
    r"|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
# Script and style bodies are code, not text: drop them with their tags.
_SCRIPT_RE = re.compile(
    r"<\s*(script|style)\b[^<>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL
)
# HTML entities, also tokenised ("& gt ;"); they become the character they stand for.
_ENTITY_RE = re.compile(r"&\s*(#\s*\d+|#\s*x[0-9a-fA-F]+|[a-zA-Z]{2,8})\s*;")


def _decode_entity(match: re.Match[str]) -> str:
    name = re.sub(r"\s+", "", match.group(1))
    decoded = html.unescape(f"&{name};")
    return match.group(0) if decoded == f"&{name};" else decoded


def remove_urls_html(text: str) -> str:
    """Drop links, e-mail addresses and tags; keep the text between tags (the anchor text)."""
    if "@" in text:  # before links, which would take the domain and leave "name@"
        text = _EMAIL_RE.sub(" ", text)
    if _URL_HINT_RE.search(text):
        text = _URL_RE.sub(" ", text)  # before tags: "<https://...>" is a link, not a tag
    if "<" in text:
        text = _SCRIPT_RE.sub(" ", text)
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = _ENTITY_RE.sub(_decode_entity, text)
    return text


# --- emoticons (used by steps 2 and 3) ----------------------------------------------------

# Eyes, optional nose, mouth; the pieces may be separated by single spaces because the corpus
# is tokenised (": - D", ": )", "= ) )"). A letter mouth must not start a word (": Dê").
_EMOTICON_RE = re.compile(
    r"(?<![^\s(\[])"
    r"(?:"
    r"[:;=]\s?['\-^o]?\s?(?:[)(\]\[]+(?:\s?[)(\]\[])*|[DdPpOo3vV*@$|](?![^\W_]))"
    r"|<\s?/?\s?3+(?![\w])"  # <3 and </3
    r"|\^\s?[_.\-]?\s?\^+"  # ^^ ^_^ ^.^
    r"|[-=>Tt;]\s?[_.]\s?[-=<Tt;](?![\w])"  # -_- =.= >.< T_T
    r"|[xX]D+(?![\w])"  # xD XD
    r"|\\\s?[oOmM]\s?/(?![\w])"  # \o/ \m/
    r")"
)


# Every emoticon above contains one of these; text without them (most text once punctuation
# is gone) skips the slower full pattern.
_EMOTICON_HINT_RE = re.compile(r"[:;=<>^.\\-]|[xX]D|[Tt]\s?_")


def remove_emoticons(text: str) -> str:
    return _EMOTICON_RE.sub(" ", text) if _EMOTICON_HINT_RE.search(text) else text


# --- 2. punctuation and digits -------------------------------------------------------------

def _is_punct_or_digit(char: str) -> bool:
    category = unicodedata.category(char)
    # P*: punctuation; N*: digits and other numbers; Sm/Sc/Sk: + < = > $ ₫ ^ ` ...
    # ("So" symbols such as emoji belong to step 3). The underscore joins Vietnamese words.
    return char != "_" and (category[0] in "PN" or category in ("Sm", "Sc", "Sk"))


def _is_pictograph(char: str) -> bool:
    category = unicodedata.category(char)
    # So: emoji, flags (regional indicators), dingbats, pictographs; Co: private-use icons;
    # Sk/Mn/Me/Cf parts of emoji sequences: skin tones, variation selectors, keycaps, ZWJ, tags.
    if category in ("So", "Co"):
        return True
    code = ord(char)
    return (
        0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or code in (0x200D, 0x20E3)  # zero-width joiner, combining keycap
        or 0xE0020 <= code <= 0xE007F  # tag characters of subdivision flags
    )


class _CharTable(dict):
    """A `str.translate` table filled lazily: each code point is classified once per process."""

    def __init__(self, predicate: Callable[[str], bool]) -> None:
        super().__init__()
        self._predicate = predicate

    def __missing__(self, code: int) -> str | int:
        value: str | int = " " if self._predicate(chr(code)) else code  # code: keep as is
        self[code] = value
        return value


_ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")


def _spaces(run: re.Match[str]) -> str:
    return " " * (run.end() - run.start())


class _CharClass:
    """Replace every character a predicate selects by a space, fast.

    For the Basic Multilingual Plane the predicate is compiled once (about 20 ms) into a regex
    character class, which runs twice as fast as `str.translate`; characters beyond it (most
    emoji, skin tones) are rarer and go through a lazily filled translate table.
    """

    def __init__(self, predicate: Callable[[str], bool]) -> None:
        self._predicate = predicate
        self._regex: re.Pattern[str] | None = None
        self._astral = _CharTable(predicate)

    def _compile(self) -> re.Pattern[str]:
        ranges, start = [], None
        for code in range(0x10000):
            # Surrogates are never selected: they cannot stand in a class range.
            selected = not 0xD800 <= code <= 0xDFFF and self._predicate(chr(code))
            if selected and start is None:
                start = code
            elif not selected and start is not None:
                ranges.append((start, code - 1))
                start = None
        parts = "".join(re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "")
                        for lo, hi in ranges)
        return re.compile(f"[{parts}]+")

    def blank(self, text: str) -> str:
        """Every selected character replaced by one space: the text keeps its length."""
        if self._regex is None:
            self._regex = self._compile()
        text = self._regex.sub(_spaces, text)
        if _ASTRAL_RE.search(text):
            text = text.translate(self._astral)
        return _ORPHAN_MARKS_RE.sub(_spaces, text) if _COMBINING_MARK_RE.search(text) else text

    def replace(self, text: str) -> str:
        if self._regex is None:
            self._regex = self._compile()
        text = self._regex.sub(" ", text)
        if _ASTRAL_RE.search(text):
            text = text.translate(self._astral)
        # Combining marks the removed characters carried: left standing alone, the next
        # cleaning would glue them onto the word before ("không ́" -> "khônǵ").
        return _ORPHAN_MARKS_RE.sub(" ", text) if _COMBINING_MARK_RE.search(text) else text


_PUNCT_DIGITS = _CharClass(_is_punct_or_digit)
_PICTOGRAPHS = _CharClass(_is_pictograph)
# An underscore survives only between two letters (or marks) of a word: "giới_thiệu".
# (Written to start with "_" so the regex engine can jump from underscore to underscore.)
_STRAY_UNDERSCORES = re.compile(r"_(?:(?<![^\W\d_]_)|(?![^\W\d_]))")  # after runs became one
_UNDERSCORE_RUNS = re.compile(r"__+")
_UNDERSCORE_ANY_RUN = re.compile(r"_+")
_LETTER_RE = re.compile(r"[^\W\d_]")  # a letter, as the underscore rule counts them


def remove_punctuation_digits(text: str) -> str:
    """Replace punctuation, digits and math/currency symbols by spaces, keep word-joining `_`.

    Emoticons go first and whole: otherwise ": - D" would leave a stray "D" behind.
    """
    text = remove_emoticons(_unescape_whitespace(text))
    text = _PUNCT_DIGITS.replace(text)
    if "_" in text:
        text = _STRAY_UNDERSCORES.sub(" ", _UNDERSCORE_RUNS.sub("_", text))
    return text


# --- 3. emoji, emoticons, flags, pictographs ------------------------------------------------

def remove_emoji(text: str) -> str:
    return _PICTOGRAPHS.replace(remove_emoticons(text))


# --- 0, 4, 5 ---------------------------------------------------------------------------------

# Tokenisers that did not know about combining marks split decomposed text into tokens made of
# a mark alone: "Qua ́ n" for "Quán", "cu ̉ a" for "của" (2,167 NTC-SCV files). A mark token is
# glued back to the syllable before it, and to the next token too when that token is a
# Vietnamese syllable ending (final consonant or trailing vowel), which "n", "ng", "a" are and
# an ordinary next word ("và không") is not.
_SPLIT_MARK_RE = re.compile(
    r"(?<=\S)[ \t]+([\u0300-\u036f]+)(?!\S)"
    r"(?:[ \t]+((?:[aiouy]{1,2}|[aiouy]?(?:ch|nh|ng|[cmnpt])))(?![^\W_]))?",
    re.IGNORECASE,
)


_COMBINING_MARK_RE = re.compile(r"[\u0300-\u036f]")
_ORPHAN_MARKS_RE = re.compile(r"(?<!\S)[\u0300-\u036f]+(?!\S)")


def _glue_mark(match: re.Match[str]) -> str:
    return match.group(1) + (match.group(2) or "")


def normalize_unicode(text: str) -> str:
    """NFC, after re-attaching combining marks that tokenisation split off ("qua ́ n" -> "quán").

    NFC turns a decomposed "e + ◌́" into the single "é" the vocabulary will also see; it cannot
    reach a mark separated from its letter by a space, hence the repair first.
    """
    if _INVISIBLE_RE.search(text):  # first, so no later step sees words they join or split
        text = text.translate(_INVISIBLE)
    if _COMBINING_MARK_RE.search(text):
        text = _SPLIT_MARK_RE.sub(_glue_mark, text)
    return unicodedata.normalize("NFC", text)


# Invisible format characters: a zero-width space separates words, the others separate nothing.
_INVISIBLE: dict[int, str | None] = {0x200B: " ", 0x200C: None, 0x2060: None, 0xFEFF: None,
                                     0x00AD: None}
_INVISIBLE_RE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")


# Scraped text sometimes carries escaped line breaks as the two characters "\\n" (the
# lecture's own examples do); they are whitespace, not a backslash and a letter "n".
_ESCAPED_WHITESPACE_RE = re.compile(r"\\[nrt]")


def _unescape_whitespace(text: str) -> str:
    return _ESCAPED_WHITESPACE_RE.sub(" ", text) if "\\" in text else text


def normalize_whitespace(text: str) -> str:
    """Collapse every run of whitespace (newlines, tabs, no-break spaces) to one space."""
    text = _unescape_whitespace(text)
    if _INVISIBLE_RE.search(text):
        text = text.translate(_INVISIBLE)
    return " ".join(text.split())


def lowercase(text: str) -> str:
    return lower_text(text)


# The lecture's six steps: pure functions with no settings.
STEP_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "normalize_unicode": normalize_unicode,
    "remove_urls_html": remove_urls_html,
    "remove_punctuation_digits": remove_punctuation_digits,
    "remove_emoji": remove_emoji,
    "normalize_whitespace": normalize_whitespace,
    "lowercase": lowercase,
}
assert tuple(STEP_FUNCTIONS) == LECTURE_STEPS, "step table out of sync with LECTURE_STEPS"

STEP_TITLES: dict[str, str] = {
    "normalize_unicode": "Unicode NFC normalisation",
    "remove_urls_html": "Remove URLs and HTML tags",
    "expand_abbreviations": "Expand chat abbreviations",
    "normalize_tone_marks": "One tone-mark style",
    "segment_words": "Segment words",
    "remove_punctuation_digits": "Remove punctuation and digits",
    "remove_emoji": "Remove emoji, emoticons and flags",
    "normalize_whitespace": "Normalise whitespace",
    "lowercase": "Lowercase",
}
assert tuple(STEP_TITLES) == CLEANING_STEPS, "titles out of sync with CLEANING_STEPS"

StepFunction = Callable[[str], str]


def enabled_steps(config: CleaningConfig) -> list[str]:
    """The steps `config` runs, in order. A step missing from `config.steps` is off, and
    segmentation runs only when decided "on" ("auto" is decided by cleaning a corpus)."""
    return [name for name in CLEANING_STEPS
            if (config.segment == "on" if name == SEGMENT_STEP else config.steps.get(name, False))]


def configured_steps(config: CleaningConfig) -> list[tuple[str, StepFunction]]:
    """(name, function) for each enabled step, with the config's settings bound in."""
    functions: list[tuple[str, StepFunction]] = []
    names = enabled_steps(config)
    for name in names:
        if name == "expand_abbreviations":
            table = config.abbreviations
            function: StepFunction = AbbreviationExpander(
                table if table is not None else default_table(), blank=_later_blanks(names),
                drop_units="remove_punctuation_digits" in names)
        elif name == "normalize_tone_marks":
            function = tone_normalizer(config.tone_style)
        elif name == SEGMENT_STEP:
            function = segment
        else:
            function = STEP_FUNCTIONS[name]
        functions.append((name, function))
    return functions


def _later_blanks(names: list[str]) -> StepFunction | None:
    """What the removal steps among `names` will turn into spaces, as spaces, the length
    kept (for the abbreviation step, which runs before them; see AbbreviationExpander)."""
    punctuation, emoji = "remove_punctuation_digits" in names, "remove_emoji" in names
    unescape = punctuation or "normalize_whitespace" in names  # "\\n" typed as two characters
    if not (punctuation or emoji or unescape):
        return None
    chars = _blanked_chars(punctuation, emoji) if punctuation or emoji else None

    def blank(text: str) -> str:
        if unescape and "\\" in text:
            text = _ESCAPED_WHITESPACE_RE.sub("  ", text)
        if chars is not None:
            text = chars.blank(text)
        return _blank_stray_underscores(text) if punctuation else text

    return blank


@functools.cache
def _blanked_chars(punctuation: bool, emoji: bool) -> _CharClass:
    """One character class for what the enabled removal steps turn into spaces (one pass)."""
    if not emoji:
        return _PUNCT_DIGITS
    if not punctuation:
        return _PICTOGRAPHS
    return _CharClass(lambda char: _is_punct_or_digit(char) or _is_pictograph(char))


def _blank_stray_underscores(text: str) -> str:
    """The underscores `remove_punctuation_digits` drops (all but a run between two letters)
    as spaces, the length kept."""
    if "_" not in text:
        return text

    def stray(run: re.Match[str]) -> str:
        start, end = run.span()
        joined = (start > 0 and end < len(text) and _LETTER_RE.match(text, start - 1) is not None
                  and _LETTER_RE.match(text, end) is not None)
        return run.group() if joined else " " * (end - start)

    return _UNDERSCORE_ANY_RUN.sub(stray, text)


def run_steps(text: str, functions: list[tuple[str, StepFunction]]) -> tuple[str, int, int]:
    """Apply the steps; returns (text, bits of the steps that changed it, bits of the steps
    that failed on it), bit i standing for functions[i].

    A step that raises on one text leaves that text as it was before the step (a document
    pyvi cannot segment stays unsegmented) and is counted: one odd text never stops a run.
    """
    changed = failed = 0
    for bit, (_, function) in enumerate(functions):
        try:
            after = function(text)
        except Exception:  # any library error on one text; the text goes on unchanged
            failed |= 1 << bit
            continue
        if after != text:
            changed |= 1 << bit
            text = after
    return text, changed, failed


def apply_cleaning(text: str, config: CleaningConfig) -> str:
    """Every enabled text step over one text, in order."""
    return run_steps(text, configured_steps(config))[0]
