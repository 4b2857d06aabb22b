"""One recurrent model family for both tasks: a text classifier and a next-word language model.

The cell (plain RNN with tanh or relu, LSTM, GRU) is chosen by `ModelConfig.cell`, as in
pytorch/examples' word_language_model. A prediction never reads a padding position: the
lecture's `output[:, -1]` on a padded batch reads the state after the padding, a classic bug
that makes a prediction depend on which other, longer sentences happen to share its batch.
`rnn_outputs` runs packed sequences; `masked_outputs` gets the same numbers faster on CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_studio.core.config import ModelConfig, validate_model
from lstm_studio.core.model_size import check_weights_fit

RNN_CLASSES: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentModel(nn.Module):
    """Embedding -> (packed) RNN/LSTM/GRU -> dropout -> linear head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        validate_model(config)
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=0)
        kwargs: dict = {
            "input_size": config.embedding_dim,
            "hidden_size": config.hidden_size,
            "num_layers": config.num_layers,
            "batch_first": True,
            "bidirectional": config.bidirectional,
            # PyTorch only applies RNN dropout between stacked layers.
            "dropout": config.dropout if config.num_layers > 1 else 0.0,
        }
        if config.cell == "rnn":
            kwargs["nonlinearity"] = config.nonlinearity
        self.rnn = RNN_CLASSES[config.cell](**kwargs)
        self.dropout = nn.Dropout(config.dropout)
        directions = 2 if config.bidirectional else 1
        if config.task == "classify":
            self.head = nn.Linear(config.hidden_size * directions, config.num_classes)
        else:
            self.head = nn.Linear(config.hidden_size, config.vocab_size)
            if config.tie_weights:
                self.head.weight = self.embedding.weight

    @property
    def directions(self) -> int:
        return 2 if self.config.bidirectional else 1

    def rnn_outputs(self, ids: torch.Tensor, lengths: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        """Run the packed RNN; return (output[B, T, H*dirs] zero at padding, final states).

        The final states are those after each sequence's last *real* token (for the backward
        direction: after its first token), because the RNN only ever sees packed sequences.
        """
        lengths_cpu = lengths.detach().to("cpu", torch.int64).clamp(min=1)
        embedded = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(embedded, lengths_cpu, batch_first=True,
                                      enforce_sorted=False)
        packed_out, hidden = self.rnn(packed)
        output, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=ids.shape[1])
        return output, hidden

    def masked_outputs(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The same outputs as `rnn_outputs` at every real position, by a faster route on CPU
        (see `masked_outputs_from`)."""
        return self.masked_outputs_from(self.dropout(self.embedding(ids)), lengths)

    def masked_outputs_from(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Top-layer outputs from the embedded tokens [B, T, E] (after dropout).

        PyTorch's CPU kernels for packed sequences run 2-4x slower per step than its fused
        kernel for a plain padded tensor. With padding only at the end, a forward direction's
        outputs at real positions cannot depend on the padding, so the plain kernel is exact
        there. The backward direction instead reads each sequence reversed *within its own
        length* (padding stays at the end) and its outputs are flipped back. Layers are run
        one by one with the module's own weights; padding positions hold garbage that every
        consumer (pooling masks, ignored LM targets) skips.
        """
        config = self.config
        batch, steps = embedded.shape[:2]
        device = embedded.device
        lengths = lengths.to(device).clamp(min=1)
        reverse = None
        if config.bidirectional:
            positions = torch.arange(steps, device=device)[None, :]
            flipped = lengths[:, None] - 1 - positions
            reverse = torch.where(flipped >= 0, flipped, positions).unsqueeze(-1)
        layer_input = embedded
        for layer in range(config.num_layers):
            outputs = []
            for direction in range(self.directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                params = [getattr(self.rnn, name + suffix)
                          for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                source = layer_input
                if direction:
                    assert reverse is not None
                    source = source.gather(1, reverse.expand(-1, -1, source.shape[2]))
                h0 = source.new_zeros(1, batch, config.hidden_size)
                args = (params, True, 1, 0.0, self.training, False, True)
                if config.cell == "lstm":
                    out = torch.lstm(source, (h0, h0), *args)[0]
                elif config.cell == "gru":
                    out = torch.gru(source, h0, *args)[0]
                elif config.nonlinearity == "relu":
                    out = torch.rnn_relu(source, h0, *args)[0]
                else:
                    out = torch.rnn_tanh(source, h0, *args)[0]
                if direction:
                    assert reverse is not None
                    out = out.gather(1, reverse.expand(-1, -1, out.shape[2]))
                outputs.append(out)
            layer_input = torch.cat(outputs, dim=2) if len(outputs) > 1 else outputs[0]
            if layer < config.num_layers - 1 and config.dropout > 0:
                layer_input = F.dropout(layer_input, config.dropout, self.training)
        return layer_input

    def sequence_outputs(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Top-layer outputs, exact at real positions: the fast route on CPU, packed elsewhere
        (cuDNN handles packed sequences at full speed)."""
        if ids.device.type == "cpu":
            return self.masked_outputs(ids, lengths)
        return self.rnn_outputs(ids, lengths)[0]

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.readout(self.sequence_outputs(ids, lengths), lengths)

    def readout(self, output: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits from the top-layer outputs: pooled for a classifier, per position for an LM."""
        if self.config.task == "lm":
            return self.head(self.dropout(output))
        return self.head(self.dropout(self.pool(output, lengths)))

    def logits_from_embeddings(self, embedded: torch.Tensor,
                               lengths: torch.Tensor) -> torch.Tensor:
        """`forward` from the embedding lookup on, by the same fused route (core/explain
        differentiates the logits with respect to `embedded`)."""
        return self.readout(self.masked_outputs_from(self.dropout(embedded), lengths), lengths)

    def pool(self, output: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Summarise each sequence over its real tokens only."""
        lengths = lengths.to(output.device).clamp(min=1)
        pooling = self.config.pooling
        if pooling == "last":
            rows = torch.arange(output.shape[0], device=output.device)
            hidden = self.config.hidden_size
            last = output[rows, lengths - 1, :hidden]  # forward direction after the last token
            if not self.config.bidirectional:
                return last
            return torch.cat([last, output[:, 0, hidden:]], dim=1)  # backward: after the first
        steps = torch.arange(output.shape[1], device=output.device)
        mask = (steps[None, :] < lengths[:, None]).unsqueeze(-1)
        if pooling == "mean":
            total = output.masked_fill(~mask, 0.0).sum(dim=1)
            return total / lengths.unsqueeze(1).to(output.dtype)
        return output.masked_fill(~mask, float("-inf")).max(dim=1).values

    def lm_step(self, ids: torch.Tensor, state=None):
        """Advance a language model over `ids` [B, T] (no padding) from `state`.

        Used for generation, where the hidden state is carried one word at a time instead of
        re-reading the whole prompt for each new word.
        """
        output, state = self.rnn(self.embedding(ids), state)
        return self.head(output), state


def build_model(config: ModelConfig) -> RecurrentModel:
    """Build a fresh model; seed torch first (the trainer does) for reproducible weights.

    Sizes are checked against free memory first (ConfigError), so absurd settings never
    reach the allocator."""
    validate_model(config)
    check_weights_fit(config)
    return RecurrentModel(config)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters, counting tied weights once."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
