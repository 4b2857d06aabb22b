"""Why did the model decide that? One number per token: integrated gradients or occlusion.

Integrated gradients (Sundararajan et al., 2017) on the embeddings: with x the text's embedded
tokens and b the baseline (the padding embedding at every position, i.e. "no words"),

    IG_t = Σ_e (x_te − b_te) · ∫₀¹ ∂f(b + α(x − b)) / ∂x_te dα

and the attributions add up to f(x) − f(b) (completeness). f is the target's probability. The
integral is a composite Gauss–Legendre quadrature over α-segments; `completeness_error` =
|Σ_t IG_t − (f(x) − f(b))| / |f(x) − f(b)| says how well it was approximated. Steps are added
where the path needs them (`adaptive_ig`, up to MAX_STEPS nodes) until it is at most 1%; a
result that still misses says so in `note`.

Occlusion: each token in turn is replaced by <unk>, and its attribution is f(x) − f(x with that
token unknown); a token already unknown gets exactly 0.

Why not Captum: it computes the same integrated gradients and occlusion, but installs
matplotlib (≈105 MB with its dependencies) into the bundled app and adds ≈0.9 s to the first
explanation; both methods are a few lines over the model's own forward, tested against closed
forms (tests/core/test_explain_attribution.py) and, where Captum is installed, against it.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from lstm_studio.core.errors import UserError
from lstm_studio.core.explain.steps import FIRST_STEPS, MAX_STEPS
from lstm_studio.core.explain.target import (
    ScoreFunction,
    embed_batch,
    embed_ids,
    explained_input,
)
from lstm_studio.core.progress import Progress, report

METHODS = ("ig", "occlusion")
NODES = 4  # Gauss–Legendre nodes per α-segment
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


def integrated_gradients(score: Any, x: torch.Tensor, baseline: torch.Tensor,
                         segments: int) -> torch.Tensor:
    """[T] attributions with `segments` equal α-segments of NODES nodes each (no refinement)."""
    edges = [k / segments for k in range(segments + 1)]
    parts = _segment_attributions(score, x, baseline, list(itertools.pairwise(edges)))
    return torch.stack(parts).sum(dim=0)


def occlusion(score: ScoreFunction, ids: list[int], unk_id: int, full: float,
              progress: Progress | None = None) -> torch.Tensor:
    """[T]: f(x) − f(x with token t replaced by <unk>); 0 where the token already is <unk>."""
    steps = len(ids)
    result = torch.zeros(steps, dtype=torch.float64)
    positions = [t for t, i in enumerate(ids) if i != unk_id]
    for start in range(0, len(positions), CHUNK):
        report(progress, start, len(positions), "occlusion")
        chunk = positions[start:start + CHUNK]
        batch = torch.tensor([ids] * len(chunk), dtype=torch.long)
        batch[torch.arange(len(chunk)), torch.tensor(chunk)] = unk_id
        with torch.no_grad():
            occluded = score(embed_batch(score.bundle, batch)).cpu()
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
    score = ScoreFunction(bundle, len(data.ids))  # a float64 twin: the model is not touched
    x = embed_ids(bundle, data.ids)
    with torch.no_grad():
        probs = score.probabilities(x)[0].cpu()
    score.choose_target(probs, target)
    full = float(probs[score.target_index])
    result = Attribution(method=method, task=bundle.task, tokens=data.tokens, ids=data.ids,
                         oov=data.oov, attributions=[], probabilities=score.named(probs),
                         target=score.target_name, target_probability=full,
                         truncated=data.truncated)
    if method == "occlusion":
        values = occlusion(score, data.ids, bundle.vocab.unk_id, full, progress)
    else:
        values = _escalated_ig(score, bundle, x, result, FIRST_STEPS if steps is None else steps,
                               max_steps, progress)
    result.attributions = [float(v) for v in values]
    report(progress, 1, 1, "explained")
    return result


def _segment_attributions(score: Any, x: torch.Tensor, baseline: torch.Tensor,
                          segments: list[tuple[float, float]]) -> list[torch.Tensor]:
    """[T] integrated gradients over each α-segment (NODES Gauss–Legendre nodes per segment),
    with every node of every segment batched together."""
    nodes, weights = gauss_legendre(NODES)
    alphas = torch.cat([a + (b - a) * nodes for a, b in segments])
    scales = torch.cat([(b - a) * weights for a, b in segments])
    diff = (x - baseline)[0].double()
    rows = []
    for start in range(0, len(alphas), CHUNK):
        alpha = alphas[start:start + CHUNK].to(x.dtype).to(x.device)[:, None, None]
        points = (baseline + alpha * (x - baseline)).detach().requires_grad_(True)
        with torch.enable_grad():
            (grads,) = torch.autograd.grad(score(points).sum(), points)
        rows.append((grads.double().cpu() * diff.cpu()).sum(dim=-1))  # [chunk, T]
    per_node = torch.cat(rows) * scales[:, None]
    return list(per_node.reshape(len(segments), NODES, -1).sum(dim=1))


def _path_values(score: ScoreFunction, x: torch.Tensor, baseline: torch.Tensor,
                 alphas: list[float]) -> list[float]:
    """f along the straight path at each α (forward passes only)."""
    values = []
    for start in range(0, len(alphas), CHUNK):
        alpha = torch.tensor(alphas[start:start + CHUNK], dtype=x.dtype,
                             device=x.device)[:, None, None]
        with torch.no_grad():
            values.extend(score(baseline + alpha * (x - baseline)).tolist())
    return values


def adaptive_ig(score: ScoreFunction, x: torch.Tensor, baseline: torch.Tensor, steps: int,
                max_steps: int, denominator: float,
                progress: Progress | None = None) -> tuple[torch.Tensor, int]:
    """Integrated gradients whose nodes go where the path needs them: ([T], nodes used).

    [0, 1] starts as `steps` / NODES equal segments. Each segment's share of completeness is
    checkable on its own — its attributions must add up to f(end) − f(start), two forward
    passes — so segments that miss by more than their fair share of the tolerance are halved
    (worst first) until every segment meets it or `max_steps` nodes are used. A trained LSTM
    can switch regime within 1e-4 of α on the way from the padding baseline; uniform steps
    would need tens of thousands of nodes there, halving needs a few dozen.
    """
    count = max(1, steps // NODES)
    edges = [k / count for k in range(count + 1)]
    values = dict(zip(edges, _path_values(score, x, baseline, edges), strict=True))
    segments = list(itertools.pairwise(edges))
    parts = dict(zip(segments, _segment_attributions(score, x, baseline, segments),
                     strict=True))
    used = count * NODES
    while True:
        errors = {seg: abs(float(part.sum()) - (values[seg[1]] - values[seg[0]]))
                  for seg, part in parts.items()}
        report(progress, min(used, max_steps), max_steps, "integrated gradients")
        if sum(errors.values()) <= TOLERANCE * denominator / 2:
            break
        share = TOLERANCE * denominator / (2 * len(parts))
        worst = sorted((seg for seg in parts if errors[seg] > share), key=lambda seg: errors[seg],
                       reverse=True)[:max(0, (max_steps - used) // (2 * NODES))]
        if not worst:
            break
        halves = []
        for a, b in worst:
            del parts[(a, b)]
            halves += [(a, (a + b) / 2), ((a + b) / 2, b)]
        middles = [left[1] for left in halves[::2]]
        values.update(zip(middles, _path_values(score, x, baseline, middles), strict=True))
        parts.update(zip(halves, _segment_attributions(score, x, baseline, halves),
                         strict=True))
        used += len(halves) * NODES
    return torch.stack(list(parts.values())).sum(dim=0), used


def _escalated_ig(score: ScoreFunction, bundle: Any, x: torch.Tensor, result: Attribution,
                  steps: int, max_steps: int, progress: Progress | None) -> torch.Tensor:
    """Integrated gradients, adding steps where needed until the completeness rule holds."""
    if steps < 1 or max_steps < steps:
        raise UserError("The step count must be at least 1 and at most the cap.")
    pad = bundle.vocab.pad_id
    baseline = embed_ids(bundle, [pad] * x.shape[1])
    with torch.no_grad():
        base = float(score(baseline)[0])
    delta = result.target_probability - base
    denominator = max(abs(delta), DELTA_FLOOR)
    values, used = adaptive_ig(score, x, baseline, steps, max_steps, denominator, progress)
    error = abs(float(values.sum()) - delta) / denominator
    result.baseline_probability, result.completeness_error = base, error
    result.steps, result.converged = used, error <= TOLERANCE
    if not result.converged:
        result.note = (f"The completeness error is still {error:.1%} after {used} steps (the "
                       f"cap is {max_steps}); treat these attributions as approximate.")
    return values
