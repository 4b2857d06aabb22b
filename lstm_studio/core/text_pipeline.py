"""The text pipeline a model was trained with, replayed on any raw text (torch-free).

One object answers "what does the model see for this text?" for every place that feeds a user's
text to a model: `predict`, `eval`, `inspect`, the Use view, the Inspect tab, attribution and
the exported torch-free predictor. It holds the cleaning settings the training text went
through, the tokenizer and the vocabulary, and applies them in that order, so a sentence typed
later is turned into ids exactly as the training documents were. Keep every step of that
journey here (and nowhere else): a step added here reaches all of those places at once.

Only the standard library and other torch-free core modules are imported, so the portable
predictor can use this module without PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_studio.core.cleaning_steps import apply_steps
from lstm_studio.core.config import CleaningConfig, config_from_dict, config_to_dict
from lstm_studio.core.tokenize import tokenize
from lstm_studio.core.vocab import Vocabulary


@dataclass
class Encoded:
    """A user's text as the model sees it, for display next to a prediction."""

    tokens: list[str]
    ids: list[int]
    oov: list[bool]
    cleaned: str


@dataclass
class TextPipeline:
    """Cleaning (None: the training text was not cleaned), tokenizer, vocabulary."""

    cleaning: CleaningConfig | None
    vocab: Vocabulary

    def clean(self, text: str) -> str:
        """The enabled cleaning steps, in the lecture's order (language detection is a
        dataset-level filter and does not apply to a single typed text)."""
        return text if self.cleaning is None else apply_steps(text, self.cleaning.steps)

    def tokens(self, text: str) -> list[str]:
        return tokenize(self.clean(text))

    def prepare(self, text: str) -> Encoded:
        """Clean, tokenise and number `text` (no truncation)."""
        cleaned = self.clean(text)
        tokens = tokenize(cleaned)
        ids = self.vocab.encode_tokens(tokens)
        unk = self.vocab.unk_id
        return Encoded(tokens, ids, [i == unk for i in ids], cleaned)

    def to_dict(self) -> dict[str, Any]:
        return {"cleaning": config_to_dict(self.cleaning) if self.cleaning is not None else None,
                "vocab": self.vocab.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextPipeline:
        cleaning = data.get("cleaning")
        return cls(config_from_dict(CleaningConfig, cleaning) if cleaning else None,
                   Vocabulary.from_dict(data["vocab"]))
