"""Text generation with a trained language model: sample one word at a time.

The prompt is read once; after that the hidden state is carried forward one word per step,
so generating is linear in its length. Temperature reshapes the distribution (0 = always the
most likely word), top-k keeps only the k most likely words, and a seed makes it repeatable.
"""

from __future__ import annotations

import torch

from lstm_studio.core.errors import ConfigError


@torch.no_grad()
def generate(bundle, prompt: str, max_tokens: int = 20, temperature: float = 1.0,
             top_k: int | None = None, seed: int | None = None) -> list[str]:
    """The generated words after `prompt` (the prompt itself not included); stops at <eos>."""
    if bundle.task != "lm":
        raise ConfigError("Only a language model can generate text; this model is a classifier.")
    if temperature < 0:
        raise ConfigError("The temperature cannot be negative.")
    vocab, model = bundle.vocab, bundle.model
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    banned = [i for i in (vocab.pad_id, vocab.bos_id, vocab.unk_id) if i is not None]
    ids = [vocab.bos_id, *bundle.prepare(prompt).ids]
    logits, state = model.lm_step(torch.tensor([ids], dtype=torch.long, device=device))
    words: list[str] = []
    for _ in range(max(0, int(max_tokens))):
        scores = logits[0, -1].float().cpu()
        scores[banned] = float("-inf")
        if top_k is not None and 0 < top_k < scores.numel():
            threshold = torch.topk(scores, top_k).values[-1]
            scores[scores < threshold] = float("-inf")
        if temperature == 0:
            next_id = int(scores.argmax())
        else:
            probs = torch.softmax(scores / temperature, dim=-1)
            next_id = int(torch.multinomial(probs, 1, generator=generator))
        if next_id == vocab.eos_id:
            break
        words.append(vocab.itos[next_id])
        step = torch.tensor([[next_id]], dtype=torch.long, device=device)
        logits, state = model.lm_step(step, state)
    return words
