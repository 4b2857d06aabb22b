"""What an explanation explains: one text as the model reads it, and one output to attribute.

`explained_input` runs the text through `bundle.prepare` (the one text pipeline) and truncates
it as prediction does; `ScoreFunction` maps embedded inputs [S, T, E] to the probability of the
target — a classifier's class, or a language model's next word after the text — through the
model's own fused forward (`RecurrentModel.logits_from_embeddings`), so the number attributed
is the number `predict` shows, and gradients with respect to the embeddings flow through it.

It runs on a float64 twin of the model (everything after the embedding lookup, copied): on the
way from the padding baseline a trained LSTM can flip between two regimes within 1e-8 of the
path, which float32 cannot resolve (f then jumps and no quadrature can satisfy completeness),
while float64 can. The user's model itself is never changed, so a prediction on the GUI
thread can run while an explanation runs in a worker.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn

from lstm_studio.core.errors import UserError
from lstm_studio.core.models import RecurrentModel

NEXT_WORDS = 10  # a language model's probabilities list this many next words


@dataclass
class ExplainedInput:
    """The tokens the model reads (a language model's start with <bos>)."""

    tokens: list[str]
    ids: list[int]
    oov: list[bool]
    cleaned: str
    truncated: int  # tokens beyond max_len that the model does not read


def explained_input(bundle: Any, text: str, max_len: int | None = None) -> ExplainedInput:
    """Prepare `text` as prediction does; UserError when nothing known is left to explain."""
    if not isinstance(text, str) or not text.strip():
        raise UserError("There is no text to explain; type a sentence.")
    encoded = bundle.prepare(text)
    ids, tokens, oov = list(encoded.ids), list(encoded.tokens), list(encoded.oov)
    if not ids:
        raise UserError("The text has no words left after the model's cleaning; type a "
                        "longer one.")
    if all(oov):
        raise UserError("None of these words is in the model's vocabulary, so every one reads "
                        "as <unk> and there is nothing to tell apart; try words from the "
                        "training data.")
    truncated = 0
    if max_len and len(ids) > max_len:
        truncated = len(ids) - max_len
        ids, tokens, oov = ids[:max_len], tokens[:max_len], oov[:max_len]
    vocab = bundle.vocab
    if bundle.task == "lm":
        if vocab.bos_id is None:
            raise UserError("This language model's vocabulary has no <bos> token.")
        ids, tokens, oov = [vocab.bos_id, *ids], [vocab.itos[vocab.bos_id], *tokens], [False, *oov]
    return ExplainedInput(tokens, ids, oov, encoded.cleaned, truncated)


class ScoreFunction:
    """f(embedded) = probability of one target, for a batch of embedded copies of one text."""

    def __init__(self, bundle: Any, steps: int) -> None:
        self.bundle = bundle
        self.model = float64_twin(bundle.model)
        self.task = bundle.task
        self.steps = steps
        self.target_index = 0
        self.target_name = ""

    def logits(self, embedded: torch.Tensor) -> torch.Tensor:
        """[S, outputs]: every copy is the whole text, so no padding is ever read."""
        lengths = torch.full((embedded.shape[0],), self.steps, dtype=torch.long)
        # cuDNN cannot differentiate an RNN in eval mode; the plain kernels can.
        with torch.backends.cudnn.flags(enabled=False):
            logits = self.model.logits_from_embeddings(embedded, lengths)
        return logits[:, -1] if self.task == "lm" else logits

    def probabilities(self, embedded: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(self.logits(embedded).double(), dim=-1)
        if self.task == "lm":  # never a next word, as in next_word_distribution
            vocab = self.bundle.vocab
            keep = torch.ones(probs.shape[-1], dtype=probs.dtype)
            for special in (vocab.pad_id, vocab.bos_id):
                if special is not None:
                    keep[special] = 0.0
            probs = probs * keep
        return probs

    def __call__(self, embedded: torch.Tensor) -> torch.Tensor:
        """[S]: the target's probability for each copy."""
        return self.probabilities(embedded)[:, self.target_index]

    def choose_target(self, probs: torch.Tensor, target: str | None) -> None:
        """The class (or next word) to explain: `target`, else the model's own choice."""
        if self.task == "lm":
            itos, stoi = self.bundle.vocab.itos, self.bundle.vocab.stoi
            if target is None:
                index = int(torch.argmax(probs))
            elif target in stoi and probs[stoi[target]] > 0:
                index = stoi[target]
            else:
                raise UserError(f"{target!r} is not a word this language model can predict.")
            self.target_index, self.target_name = index, itos[index]
            return
        labels = list(self.bundle.labels)
        if target is None:
            index = int(torch.argmax(probs))
        elif target in labels:
            index = labels.index(target)
        else:
            raise UserError(f"Unknown label {target!r}; the model knows "
                            f"{', '.join(map(str, labels))}.")
        self.target_index, self.target_name = index, str(labels[index])

    def named(self, probs: torch.Tensor) -> dict[str, float]:
        """label -> probability (a language model: its NEXT_WORDS likeliest next words)."""
        if self.task != "lm":
            return {str(label): float(p) for label, p in zip(self.bundle.labels, probs.tolist(),
                                                            strict=True)}
        top = torch.topk(probs, min(NEXT_WORDS, probs.numel()))
        itos = self.bundle.vocab.itos
        return {itos[i]: float(p) for p, i in zip(top.values.tolist(), top.indices.tolist(),
                                                  strict=True)}


def float64_twin(model: RecurrentModel) -> RecurrentModel:
    """A float64 copy of `model` without its embedding table (only the lookup's result is
    needed, and that table is most of the weights)."""
    twin = copy.deepcopy(model, memo={id(model.embedding): nn.Module()})
    return cast(RecurrentModel, twin.double().eval())


def embed_batch(bundle: Any, ids: torch.Tensor) -> torch.Tensor:
    """[B, T, E] float64 embeddings of `ids` [B, T] (no gradient)."""
    model = bundle.model
    with torch.no_grad():
        return model.embedding(ids.to(next(model.parameters()).device)).double()


def embed_ids(bundle: Any, ids: list[int]) -> torch.Tensor:
    """[1, T, E] float64 embeddings of one sequence."""
    return embed_batch(bundle, torch.tensor([ids], dtype=torch.long))
