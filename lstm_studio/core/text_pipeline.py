"""The text pipeline a model was trained with, replayed on any raw text (torch-free).

One object answers "what does the model see for this text?" for every place that feeds a user's
text to a model: `predict`, `eval`, `inspect`, the Use view, the Inspect tab, attribution and
the exported torch-free predictor. It holds the cleaning settings the training text went
through (normalisation steps with their abbreviation table, word segmentation on or off with
the segmenter that was used), the tokenizer and the vocabulary, and applies them in that order,
so "nhân viên thân thiện" typed later reaches the model as "nhân_viên thân_thiện", exactly as
the training documents did. Keep every step of that journey here (and nowhere else): a step
added here reaches all of those places at once.

Only the standard library and other torch-free core modules are imported (pyvi is imported
on first use, only when the pipeline segments), so the portable predictor can use this module
without PyTorch. The dictionary form (`to_dict` / `from_dict`) is what model files store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lstm_studio.core import segmentation
from lstm_studio.core.cleaning_steps import (
    STEP_TITLES,
    StepFunction,
    configured_steps,
    run_steps,
)
from lstm_studio.core.config import (
    SEGMENT_STEP,
    TOGGLED_STEPS,
    CleaningConfig,
    config_from_dict,
    config_to_dict,
)
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.tokenize import tokenize
from lstm_studio.core.vocab import Vocabulary

TOKENIZER = "whitespace"


@dataclass
class Encoded:
    """A user's text as the model sees it, for display next to a prediction."""

    tokens: list[str]
    ids: list[int]
    oov: list[bool]
    cleaned: str


def stored_cleaning(data: dict[str, Any] | None) -> CleaningConfig | None:
    """A cleaning config as a model file stored it. Steps and fields the file does not
    mention did not exist when it was written, so they are off: a file from before
    segmentation and normalisation replays "no segmentation, no normalisation"."""
    if not data:
        return None
    config = config_from_dict(CleaningConfig, data)
    steps = data.get("steps") or {}
    config.steps = {name: bool(steps.get(name, False)) for name in TOGGLED_STEPS}
    if "segment" not in data or config.segment not in ("on", "off"):
        config.segment = "off"
    return config


@dataclass
class TextPipeline:
    """Cleaning (None: the training text was not cleaned), tokenizer, vocabulary."""

    cleaning: CleaningConfig | None
    vocab: Vocabulary
    _steps: list[tuple[str, StepFunction]] | None = field(default=None, init=False, repr=False,
                                                          compare=False)

    def _functions(self) -> list[tuple[str, StepFunction]]:
        if self._steps is None:
            self._steps = [] if self.cleaning is None else configured_steps(self.cleaning)
        return self._steps

    @property
    def segments(self) -> bool:
        return self.cleaning is not None and self.cleaning.segment == "on"

    def clean(self, text: str) -> str:
        """The enabled cleaning steps in order (the language and empty filters are dataset
        decisions and do not apply to a single typed text). A step that fails on this text
        is skipped, as it was in training."""
        if self.segments:
            self.check_segmenter()
        return run_steps(text, self._functions())[0]

    def tokens(self, text: str) -> list[str]:
        return tokenize(self.clean(text))

    def prepare(self, text: str) -> Encoded:
        """Clean, tokenise and number `text` (no truncation)."""
        cleaned = self.clean(text)
        tokens = tokenize(cleaned)
        ids = self.vocab.encode_tokens(tokens)
        unk = self.vocab.unk_id
        return Encoded(tokens, ids, [i == unk for i in ids], cleaned)

    def check_segmenter(self) -> None:
        """Raise ConfigError when the pipeline segments but pyvi is missing: predicting from
        unsegmented text would quietly read other tokens than the model was trained on."""
        if segmentation.version() is None:
            recorded = (self.cleaning.segmenter if self.cleaning else None) or "pyvi"
            raise ConfigError(f"This model joins Vietnamese words with {recorded}, which is "
                              f"not installed here; install it ({segmentation.INSTALL_HINT}).")

    def notes(self) -> list[str]:
        """Differences between this machine and the one the model was trained on."""
        if not self.segments or self.cleaning is None:
            return []
        recorded, here = self.cleaning.segmenter, segmentation.description()
        if recorded and here and recorded != here:
            return [f"The model was segmented with {recorded}; this machine has {here}, "
                    "which may join some words differently."]
        return []

    def describe(self) -> list[str]:
        """The steps in words, for a caption next to the tokens."""
        if self.cleaning is None:
            return ["no cleaning"]
        parts = []
        for name, _ in self._functions():
            title = STEP_TITLES[name]
            if name == SEGMENT_STEP and self.cleaning.segmenter:
                title += f" ({self.cleaning.segmenter})"
            parts.append(title)
        return parts or ["no cleaning steps"]

    def to_dict(self) -> dict[str, Any]:
        cleaning = self.cleaning
        return {
            "cleaning": config_to_dict(cleaning) if cleaning is not None else None,
            "segmentation": segmentation.describe_config(
                cleaning.segment if cleaning else "off", cleaning.segmenter if cleaning else None),
            "tokenizer": TOKENIZER,
            "vocab": self.vocab.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], vocab: Vocabulary | None = None) -> TextPipeline:
        """Rebuild from `to_dict` output (`vocab` given when the dict leaves it out)."""
        tokenizer = data.get("tokenizer", TOKENIZER)
        if tokenizer != TOKENIZER:
            raise ConfigError(f"This model uses the {tokenizer!r} tokenizer, which this "
                              "version of LSTM Studio does not have; update the app.")
        return cls(stored_cleaning(data.get("cleaning")),
                   vocab if vocab is not None else Vocabulary.from_dict(data["vocab"]))
