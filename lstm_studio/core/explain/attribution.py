"""Why did the model decide that? One number per token: integrated gradients or occlusion.

Integrated gradients (Sundararajan et al., 2017) on the embeddings: with x the text's embedded
tokens and b the baseline (the padding embedding at every position, i.e. "no words"),

    IG_t = Σ_e (x_te − b_te) · ∫₀¹ ∂f(b + α(x − b)) / ∂x_te dα

and the attributions add up to f(x) − f(b) (completeness). The integral is a Gauss–Legendre
quadrature on [0, 1]; `completeness_error` = |Σ_t IG_t − (f(x) − f(b))| / |f(x) − f(b)| measures
how well it was approximated, and the step count is doubled (up to MAX_STEPS) until it is at most
1%; a result that still misses says so in `note`. f is the target's probability.

Occlusion: each token in turn is replaced by <unk>, and its attribution is f(x) − f(x with that
token unknown); a token already unknown gets exactly 0.

Why not Captum: it computes the same integrated gradients and occlusion, but installs
matplotlib (≈105 MB with its dependencies) into the bundled app and adds ≈0.9 s to the first
explanation; both methods are a few lines over the model's own forward, tested against closed
forms (tests/core/test_explain_attribution.py) and, where Captum is installed, against it.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from lstm_studio.core.errors import UserError
from lstm_studio.core.explain.target import ScoreFunction, embed_ids, explained_input
from lstm_studio.core.progress import Progress, report

METHODS = ("ig", "occlusion")
FIRST_STEPS = 32  # Gauss–Legendre nodes to start with
MAX_STEPS = 512  # the cap of the escalation
TOLERANCE = 0.01  # completeness error allowed, relative to |f(x) - f(baseline)|
DELTA_FLOOR = 1e-4  # below this |f(x) - f(b)| a relative error means nothing: divide by this
CHUNK = 64  # interpolated copies (or occluded copies) per forward/backward pass


@dataclass
class Attribution:
    """One explained prediction; `attributions[t]` belongs to `tokens[t]`."""

    method: str  # "ig" or "occlusion"
    task: str  # "classify" or "lm" (then the target is the next word)
    tokens: list[str]
    ids: list[int]
    oov: list[bool]
    attributions: list[float]
    probabilities: dict[str, float]
    target: str
    target_probability: float
    baseline_probability: float | None = None  # integrated gradients: f(baseline)
    completeness_error: float | None = None  # relative (see the module docstring)
    steps: int | None = None  # Gauss–Legendre nodes used
    converged: bool = True
    truncated: int = 0  # tokens past max_len the model does not read
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.method != "ig":
            for key in ("baseline_probability", "completeness_error", "steps"):
                data.pop(key)
        return data


@functools.lru_cache(maxsize=16)
def gauss_legendre(steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes in (0, 1) and weights summing to 1 for ∫₀¹ g(α) dα ≈ Σ w_k g(α_k)."""
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    return (torch.tensor((nodes + 1) / 2, dtype=torch.float64),
            torch.tensor(weights / 2, dtype=torch.float64))


def integrated_gradients(score: ScoreFunction, x: torch.Tensor, baseline: torch.Tensor,
                         steps: int, progress: Progress | None = None) -> torch.Tensor:
    """[T] attributions for x, baseline [1, T, E] with `steps` Gauss–Legendre nodes."""
    alphas, weights = gauss_legendre(steps)
    diff = (x - baseline)[0]
    total = torch.zeros_like(diff, dtype=torch.float64)
    for start in range(0, steps, CHUNK):
        report(progress, start, steps, f"integrated gradients, {steps} steps")
        alpha = alphas[start:start + CHUNK].to(x.dtype).to(x.device)[:, None, None]
        points = (baseline + alpha * (x - baseline)).detach().requires_grad_(True)
        with torch.enable_grad():
            (grads,) = torch.autograd.grad(score(points).sum(), points)
        w = weights[start:start + CHUNK].to(grads.device)[:, None, None]
        total += (grads.double() * w).sum(dim=0)
    return (total * diff.double()).sum(dim=-1).cpu()


def occlusion(score: ScoreFunction, ids: list[int], unk_id: int, full: float,
              progress: Progress | None = None) -> torch.Tensor:
    """[T]: f(x) − f(x with token t replaced by <unk>); 0 where the token already is <unk>."""
    model = score.model
    device = next(model.parameters()).device
    steps = len(ids)
    result = torch.zeros(steps, dtype=torch.float64)
    positions = [t for t, i in enumerate(ids) if i != unk_id]
    for start in range(0, len(positions), CHUNK):
        report(progress, start, len(positions), "occlusion")
        chunk = positions[start:start + CHUNK]
        batch = torch.tensor([ids] * len(chunk), dtype=torch.long, device=device)
        batch[torch.arange(len(chunk)), torch.tensor(chunk)] = unk_id
        with torch.no_grad():
            occluded = score(model.embedding(batch)).cpu()
        result[chunk] = full - occluded
    return result


def explain(bundle: Any, text: str, method: str = "ig", target: str | None = None, *,
            steps: int | None = None, max_steps: int = MAX_STEPS,
            max_len: int | str | None = "model",
            progress: Progress | None = None) -> Attribution:
    """Attribute the model's prediction for `text` (or for class/next word `target`) to tokens.

    `max_len`: "model" truncates as prediction does; None reads the whole text (as Inspect
    traces it); a number truncates there. `steps` starts the escalation there.
    """
    if method not in METHODS:
        raise UserError(f"Unknown method {method!r}; use ig (integrated gradients) or "
                        "occlusion.")
    limit = bundle.max_len if max_len == "model" else max_len
    data = explained_input(bundle, text, limit if isinstance(limit, int) else None)
    model = bundle.model
    was_training = model.training
    model.eval()
    try:
        score = ScoreFunction(bundle, len(data.ids))
        x = embed_ids(bundle, data.ids)
        with torch.no_grad():
            probs = score.probabilities(x)[0].cpu()
        score.choose_target(probs, target)
        full = float(probs[score.target_index])
        result = Attribution(method=method, task=bundle.task, tokens=data.tokens,
                             ids=data.ids, oov=data.oov, attributions=[],
                             probabilities=score.named(probs), target=score.target_name,
                             target_probability=full, truncated=data.truncated)
        if method == "occlusion":
            values = occlusion(score, data.ids, bundle.vocab.unk_id, full, progress)
        else:
            values = _escalated_ig(score, bundle, x, result,
                                   FIRST_STEPS if steps is None else steps, max_steps,
                                   progress)
    finally:
        model.train(was_training)
    result.attributions = [float(v) for v in values]
    report(progress, 1, 1, "explained")
    return result


def _escalated_ig(score: ScoreFunction, bundle: Any, x: torch.Tensor, result: Attribution,
                  steps: int, max_steps: int, progress: Progress | None) -> torch.Tensor:
    """Integrated gradients, doubling the steps until the completeness rule holds."""
    if steps < 1 or max_steps < steps:
        raise UserError("The step count must be at least 1 and at most the cap.")
    pad = bundle.vocab.pad_id
    baseline = embed_ids(bundle, [pad] * x.shape[1])
    with torch.no_grad():
        base = float(score(baseline)[0])
    delta = result.target_probability - base
    while True:
        values = integrated_gradients(score, x, baseline, steps, progress)
        error = abs(float(values.sum()) - delta) / max(abs(delta), DELTA_FLOOR)
        if error <= TOLERANCE or steps >= max_steps:
            break
        steps = min(steps * 2, max_steps)
    result.baseline_probability, result.completeness_error = base, error
    result.steps, result.converged = steps, error <= TOLERANCE
    if not result.converged:
        result.note = (f"The completeness error is still {error:.1%} at {steps} steps (the "
                       f"cap); treat these attributions as approximate.")
    return values
