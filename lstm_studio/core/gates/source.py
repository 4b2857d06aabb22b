"""What the gate tools accept: a ModelBundle, a RecurrentModel, or a bare nn.LSTM/GRU/RNN.

Everything is recognised by shape (duck typing), not by importing the training engine, so the
tracer works on any module with `.rnn` (+ `.embedding`, `.head`) and on plain PyTorch modules.
Text is turned into tokens exactly as prediction does it: through `bundle.prepare(text)`, which
applies the checkpoint's stored cleaning and vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates.fused import DIRECTIONS, CellParams, cell_kind, cell_params


@dataclass
class Source:
    """The recurrent stack and its surroundings, however they were handed to us."""

    rnn: nn.RNNBase  # resolve() accepts nothing else
    embedding: nn.Module | None = None
    head: nn.Linear | None = None  # the output layer: readouts apply its weight and bias
    model: nn.Module | None = None  # has forward(ids, lengths) when it is a RecurrentModel
    bundle: Any = None
    task: str = "classify"
    pooling: str = "last"
    labels: list[str] | None = None
    vocab: Any = None

    @property
    def cell(self) -> str:
        return cell_kind(self.rnn)

    @property
    def directions(self) -> tuple[str, ...]:
        return DIRECTIONS if self.rnn.bidirectional else DIRECTIONS[:1]

    def params(self, dtype: torch.dtype = torch.float64) -> dict[tuple[int, str], CellParams]:
        return {(layer, direction): cell_params(self.rnn, layer, direction).to(dtype)
                for layer in range(self.rnn.num_layers) for direction in self.directions}


def device_of(module: nn.Module) -> torch.device:
    """Where a module's weights live (the tools compute on the CPU and move inputs over)."""
    for param in module.parameters():
        return param.device
    return torch.device("cpu")


def embed(embedding: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    """Layer-0 inputs for token ids, as float64 on the CPU."""
    with torch.no_grad():
        return embedding(ids.to(device_of(embedding))).detach().cpu().to(torch.float64)


def as_tensor(values: Any) -> torch.Tensor:
    """Ids or vectors given as a list, numpy array or (any-device) tensor, on the CPU."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu()
    return torch.as_tensor(np.asarray(values))


def resolve(obj: Any, embedding: nn.Module | None = None, head: nn.Linear | None = None,
            task: str | None = None, pooling: str | None = None,
            labels: list[str] | None = None) -> Source:
    """Find the recurrent module (and embedding/head/vocabulary) in whatever we were given."""
    bundle = None
    if hasattr(obj, "model") and hasattr(obj, "prepare"):
        bundle, obj = obj, obj.model
    if isinstance(obj, nn.RNNBase):
        cell_kind(obj)
        return Source(rnn=obj, embedding=embedding, head=head, task=task or "classify",
                      pooling=pooling or "last", labels=labels)
    rnn = getattr(obj, "rnn", None)
    if not isinstance(rnn, nn.RNNBase):
        raise UserError("Gate tracing needs a recurrent model (LSTM, GRU or RNN) or a model file.")
    config = getattr(obj, "config", None)
    return Source(
        rnn=rnn,
        embedding=embedding or getattr(obj, "embedding", None),
        head=head or getattr(obj, "head", None),
        model=obj,
        bundle=bundle,
        task=task or getattr(config, "task", "classify"),
        pooling=pooling or getattr(config, "pooling", "last"),
        labels=labels or (list(bundle.labels) if bundle is not None and bundle.labels else None),
        vocab=getattr(bundle, "vocab", None),
    )


@dataclass
class Inputs:
    """One sequence as the model sees it."""

    tokens: list[str]
    ids: list[int] | None
    oov: list[bool]
    cleaned: str | None
    x: torch.Tensor  # layer-0 inputs [T, In], float64


def _token_names(source: Source, ids: list[int]) -> tuple[list[str], list[bool]]:
    vocab = source.vocab
    if vocab is None:
        return [str(i) for i in ids], [False] * len(ids)
    itos = vocab.itos
    unk = getattr(vocab, "unk_id", None)
    tokens = [itos[i] if 0 <= i < len(itos) else str(i) for i in ids]
    return tokens, [unk is not None and i == unk for i in ids]


def prepare_inputs(source: Source, text_or_ids: Any, tokens: list[str] | None = None) -> Inputs:
    """Text (needs a bundle), token ids (needs an embedding) or input vectors [T, In]."""
    cleaned = None
    oov: list[bool] | None = None
    if isinstance(text_or_ids, str):
        if source.bundle is None:
            raise UserError("Tracing a sentence needs the model file's vocabulary; "
                            "load a checkpoint or pass token ids.")
        encoded = source.bundle.prepare(text_or_ids)
        ids = [int(i) for i in encoded.ids]
        tokens, oov, cleaned = list(encoded.tokens), [bool(b) for b in encoded.oov], encoded.cleaned
        if not ids:
            raise UserError("The sentence has no words left after cleaning; type a longer one.")
        bos = getattr(source.vocab, "bos_id", None)
        if source.task == "lm" and bos is not None:  # a language model reads <bos> first
            ids, tokens, oov = [bos, *ids], [source.vocab.itos[bos], *tokens], [False, *oov]
        values = torch.as_tensor(ids, dtype=torch.long)
    else:
        values = as_tensor(text_or_ids)
        if values.dim() == 2 and values.shape[0] == 1 and not values.is_floating_point():
            values = values[0]
        ids = None
    if values.is_floating_point():
        if values.dim() != 2:
            raise UserError("Input vectors must be a [steps, features] array.")
        x = values.to(torch.float64)
    else:
        if values.dim() != 1:
            raise UserError("Token ids must be a flat list of integers.")
        if source.embedding is None:
            raise UserError("Token ids need an embedding layer; pass input vectors instead.")
        ids = [int(i) for i in values.tolist()]
        x = embed(source.embedding, values)
    if x.shape[0] == 0:
        raise UserError("There is nothing to trace: the input has no tokens.")
    if x.shape[1] != source.rnn.input_size:
        raise UserError(f"Inputs have {x.shape[1]} features but the model expects "
                        f"{source.rnn.input_size}.")
    if ids is not None and tokens is None:
        tokens, default_oov = _token_names(source, ids)
        oov = oov or default_oov
    if tokens is None:
        tokens = [f"x{t}" for t in range(x.shape[0])]
    return Inputs(tokens=list(tokens), ids=ids, oov=oov or [False] * len(tokens),
                  cleaned=cleaned, x=x)
