"""What the model would say after each word: the prediction as the sentence arrives.

A classifier is run on every prefix (tokens 0..t) in batches — exact for every pooling and for
bidirectional models, whose backward direction depends on where the prefix ends. A language
model needs one pass: its output at position t is already the next-word distribution after t.
Prefixes are not truncated to the training max_len, so for very long sentences the last rows can
differ from `bundle.predict`, which truncates. With what-if edits (gates/interventions.py) every
prefix runs through the shared recurrence with the edits applied at the same token positions,
so the last row is the edited model's final prediction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates.interventions import Intervention, check_interventions
from lstm_studio.core.gates.readout import logits as readout_logits
from lstm_studio.core.gates.recurrence import unroll
from lstm_studio.core.gates.source import Source, device_of, prepare_inputs, resolve
from lstm_studio.core.progress import Progress, report

CHUNK = 64  # prefixes per forward pass: bounds memory for a 300-token sentence


@dataclass
class PrefixPrediction:
    position: int
    token: str
    probabilities: dict[str, float]  # classifier: every label; language model: top-k next words

    @property
    def best(self) -> tuple[str, float]:
        return max(self.probabilities.items(), key=lambda item: item[1])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _logits_for(source: Source, ids: torch.Tensor | None, x: torch.Tensor,
                lengths: torch.Tensor,
                interventions: list[Intervention] | None = None) -> torch.Tensor:
    """Logits for a batch of sequences: through the model's own forward when it has one and
    nothing is edited, else through the shared recurrence (which applies the edits)."""
    if source.model is not None and ids is not None and not interventions:
        model = source.model
        was_training = model.training
        model.eval()
        try:
            return model(ids.to(device_of(model)), lengths).double().cpu()
        finally:
            model.train(was_training)
    params = source.params(torch.float64)
    result = unroll(params, source.rnn.num_layers, source.rnn.bidirectional, x, lengths,
                    interventions=interventions)
    return readout_logits(source, result, lengths)


def _names(source: Source, size: int) -> list[str]:
    if source.task != "lm" and source.labels:
        return list(source.labels)
    if source.task == "lm" and source.vocab is not None:
        return list(source.vocab.itos)
    return [str(i) for i in range(size)]


def prefix_predictions(bundle_or_model: Any, text_or_ids: Any, *, k: int = 5,
                       embedding: torch.nn.Module | None = None,
                       head: torch.nn.Linear | None = None, labels: list[str] | None = None,
                       task: str | None = None, pooling: str | None = None,
                       interventions: list[Intervention] | None = None,
                       progress: Progress | None = None) -> list[PrefixPrediction]:
    """One PrefixPrediction per token: the distribution after reading tokens 0..t."""
    source = resolve(bundle_or_model, embedding=embedding, head=head, task=task,
                     pooling=pooling, labels=labels)
    if source.head is None:
        raise UserError("Predictions need the model's output layer; pass a head (nn.Linear).")
    inputs = prepare_inputs(source, text_or_ids)  # a language model's text starts with <bos>
    steps = inputs.x.shape[0]
    edits = list(interventions or [])
    rnn = source.rnn
    check_interventions(edits, source.cell, rnn.num_layers, rnn.bidirectional, rnn.hidden_size,
                        steps)
    ids = torch.tensor(inputs.ids, dtype=torch.long) if inputs.ids is not None else None
    with torch.no_grad():
        if source.task == "lm":
            lengths = torch.tensor([steps])
            probs = torch.softmax(_logits_for(
                source, ids[None] if ids is not None else None, inputs.x[None],
                lengths, edits)[0], dim=-1)
            for special in ("pad_id", "bos_id"):  # never suggested, as in next_word_distribution
                index = getattr(source.vocab, special, None)
                if index is not None:
                    probs[:, index] = 0.0
        else:
            rows = []
            for start in range(0, steps, CHUNK):
                report(progress, start, steps, "predictions per prefix")
                ends = torch.arange(start + 1, min(start + CHUNK, steps) + 1)
                width = int(ends[-1])
                chunk_ids = ids[:width].repeat(len(ends), 1) if ids is not None else None
                if chunk_ids is not None:
                    chunk_ids[torch.arange(width)[None, :] >= ends[:, None]] = 0
                x = inputs.x[:width].expand(len(ends), -1, -1)  # a view, no copy
                rows.append(torch.softmax(_logits_for(source, chunk_ids, x, ends, edits),
                                          dim=-1))
            probs = torch.cat(rows)
    report(progress, steps, steps, "predictions per prefix")
    names = _names(source, probs.shape[-1])
    results = []
    for t in range(steps):
        row = probs[t]
        if source.task == "lm":
            top = torch.topk(row, min(k, row.numel()))
            dist = {names[i]: float(p) for p, i in zip(top.values.tolist(), top.indices.tolist(),
                                                       strict=True)}
        else:
            dist = {names[i]: float(p) for i, p in enumerate(row.tolist())}
        results.append(PrefixPrediction(position=t, token=inputs.tokens[t], probabilities=dist))
    return results
