"""Neuron search over a corpus, LSTMVis-style: where does this unit fire, and which units fire
together on this phrase?

`scan_unit` streams a split's documents through the shared recurrence (gates/recurrence.py, an
`Observer` on one layer/direction) and keeps only what the answer needs: the K documents where
the unit peaks highest (a heap), and a histogram with exact running statistics. Documents are
read in windows, sorted by length inside a window and batched, so memory is bounded by the
window and the batch, never by the corpus: no state is stored beyond the current batch.

`span_units` ranks the units most specific to a span of a traced sentence (their mean inside
the span minus their mean outside it), and `scan_together` finds the places in the corpus where
those units all fire at once: every unit at or above its threshold, the midpoint between its
level inside the span and outside it. Documents are prepared as prediction prepares them
(`bundle.prepare`, truncated to the model's max_len).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from lstm_studio.core.errors import UserError
from lstm_studio.core.explain.histogram import StreamingHistogram
from lstm_studio.core.gates.fused import DIRECTIONS, gate_rows
from lstm_studio.core.gates.recurrence import Observer, unroll
from lstm_studio.core.progress import Progress, report

SERIES: dict[str, tuple[str, ...]] = {"lstm": ("f", "i", "g", "o", "c", "h"),
                                      "gru": ("r", "z", "n", "h"), "rnn": ("h",)}
BATCH = 128  # documents per recurrence pass
WINDOW = 32  # batches read, sorted by length and scanned together
CONTEXT = 6  # tokens of context on each side of a hit


@dataclass(frozen=True)
class UnitRef:
    """One unit of one series (h, c or a gate) of one layer and direction."""

    series: str
    unit: int
    layer: int = 0
    direction: str = "forward"

    def describe(self) -> str:
        return f"{self.series}[{self.unit}] (layer {self.layer} {self.direction})"


@dataclass
class Hit:
    """One place in the corpus: document `document` of the scanned list, tokens around it."""

    score: float  # the unit's value (scan_unit) or the co-activation margin (scan_together)
    document: int
    source: str
    label: str | None
    start: int  # first and last token position of the firing span
    stop: int
    context_start: int  # position of tokens[0]
    tokens: list[str]

    @property
    def phrase(self) -> str:
        return " ".join(self.tokens[self.start - self.context_start:
                                   self.stop - self.context_start + 1])

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "phrase": self.phrase}


@dataclass
class ScanResult:
    """The best hits, best first, with what was scanned and (scan_unit) the value histogram."""

    hits: list[Hit]
    documents: int
    tokens: int
    seconds: float
    histogram: StreamingHistogram | None = None
    units: list[int] = field(default_factory=list)
    thresholds: list[float] = field(default_factory=list)
    matches: int = 0  # scan_together: places where all units fired

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"hits": [h.to_dict() for h in self.hits],
                                "documents": self.documents, "tokens": self.tokens,
                                "seconds": round(self.seconds, 3)}
        if self.histogram is not None:
            data["histogram"] = self.histogram.to_dict()
        if self.units:
            data.update(units=self.units, thresholds=self.thresholds, matches=self.matches)
        return data


def check_unit(bundle: Any, ref: UnitRef) -> None:
    """UserError (one sentence) unless the model has this series, layer, direction and unit."""
    config = bundle.model_config
    series = SERIES[config.cell]
    if ref.series not in series:
        raise UserError(f"A {config.cell.upper()} has no series {ref.series!r}; use one of "
                        f"{', '.join(series)}.")
    if not 0 <= ref.layer < config.num_layers:
        raise UserError(f"Layer {ref.layer} does not exist; the model has {config.num_layers} "
                        "layer(s).")
    directions = DIRECTIONS if config.bidirectional else DIRECTIONS[:1]
    if ref.direction not in directions:
        raise UserError(f"Direction {ref.direction!r} does not exist; use "
                        f"{' or '.join(directions)}.")
    if not 0 <= ref.unit < config.hidden_size:
        raise UserError(f"Unit {ref.unit} does not exist; the layer has {config.hidden_size} "
                        f"units (0 to {config.hidden_size - 1}).")


def _encoded(bundle: Any, documents: Sequence[Any]) -> Iterator[tuple[int, list[int]]]:
    limit = bundle.max_len
    for index, doc in enumerate(documents):
        ids = bundle.prepare(doc.text).ids
        if ids:
            yield index, list(ids[:limit] if limit else ids)


def _batches(bundle: Any, documents: Sequence[Any], batch_size: int
             ) -> Iterator[tuple[list[int], list[list[int]], int]]:
    """(document indices, ids, documents read so far) per batch, length-sorted per window."""
    window: list[tuple[int, list[int]]] = []
    read = 0
    for item in _encoded(bundle, documents):
        window.append(item)
        read = item[0] + 1
        if len(window) >= batch_size * WINDOW:
            yield from _cut(window, batch_size, read)
            window = []
    yield from _cut(window, batch_size, len(documents))


def _cut(window: list[tuple[int, list[int]]], batch_size: int, read: int
         ) -> Iterator[tuple[list[int], list[list[int]], int]]:
    window.sort(key=lambda item: len(item[1]))
    for start in range(0, len(window), batch_size):
        chunk = window[start:start + batch_size]
        yield [i for i, _ in chunk], [ids for _, ids in chunk], read


def _series_values(bundle: Any, ref: UnitRef, ids: list[list[int]], units: list[int],
                   params: dict) -> tuple[np.ndarray, np.ndarray]:
    """values [B, T, len(units)] of one series for a batch, and the lengths [B]."""
    model, config = bundle.model, bundle.model_config
    lengths = torch.tensor([len(seq) for seq in ids])
    padded = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for row, seq in enumerate(ids):
        padded[row, :len(seq)] = torch.tensor(seq)
    with torch.no_grad():
        x = model.embedding(padded.to(next(model.parameters()).device)).float().cpu()
    buffer = torch.zeros(len(ids), padded.shape[1], len(units))
    pick = torch.tensor(units)
    hidden = config.hidden_size
    state_series = ref.series in ("h", "c")
    rows = None if state_series else gate_rows(config.cell, ref.series, hidden).start + pick

    def observe(t: int, act: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None) -> None:
        if rows is not None:  # a gate: its activations
            buffer[:, t] = act[:, rows]
            return
        state = h if ref.series == "h" else c
        assert state is not None
        buffer[:, t] = state[:, pick]
    with torch.no_grad():
        unroll(params, config.num_layers, config.bidirectional, x, lengths,
               observer=Observer(ref.layer, ref.direction, observe))
    return buffer.numpy(), lengths.numpy()


def _context(bundle: Any, doc: Any, start: int, stop: int, context: int
             ) -> tuple[int, list[str]]:
    tokens = bundle.prepare(doc.text).tokens
    first = max(0, start - context)
    return first, list(tokens[first:stop + context + 1])


def _model_params(bundle: Any) -> dict:
    from lstm_studio.core.gates.source import resolve

    return resolve(bundle).params(torch.float32)


def scan_unit(bundle: Any, documents: Sequence[Any], ref: UnitRef, *, top: int = 20,
              lowest: bool = False, context: int = CONTEXT, batch_size: int = BATCH,
              progress: Progress | None = None) -> ScanResult:
    """The `top` documents where the unit peaks highest (or lowest), and its histogram."""
    check_unit(bundle, ref)
    if not documents:
        raise UserError("There are no documents to scan; load a dataset with this split.")
    started = time.perf_counter()
    params = _model_params(bundle)
    sign = -1.0 if lowest else 1.0
    heap: list[tuple[float, int, int]] = []  # (signed value, -document, position)
    histogram = StreamingHistogram(*((0.0, 1.0) if ref.series in ("f", "i", "o", "r", "z")
                                     else (-1.0, 1.0)))
    tokens = scanned = 0
    for indices, ids, read in _batches(bundle, documents, batch_size):
        report(progress, read, len(documents), f"scanning {ref.describe()}")
        values, lengths = _series_values(bundle, ref, ids, [ref.unit], params)
        values = values[:, :, 0]
        live = np.arange(values.shape[1])[None, :] < lengths[:, None]
        histogram.add(values[live])
        tokens += int(lengths.sum())
        scanned += len(ids)
        signed = np.where(live, sign * values, -np.inf)
        peaks = signed.argmax(axis=1)
        for row, doc_index in enumerate(indices):
            item = (float(signed[row, peaks[row]]), -doc_index, int(peaks[row]))
            if len(heap) < top:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
    hits = []
    for value, negative_doc, position in sorted(heap, reverse=True):
        doc = documents[-negative_doc]
        first, words = _context(bundle, doc, position, position, context)
        hits.append(Hit(score=sign * value, document=-negative_doc, source=doc.source,
                        label=doc.label, start=position, stop=position, context_start=first,
                        tokens=words))
    report(progress, len(documents), len(documents), "scanned")
    return ScanResult(hits=hits, documents=scanned, tokens=tokens,
                      seconds=time.perf_counter() - started, histogram=histogram)


@dataclass
class SpanUnit:
    unit: int
    score: float  # mean inside the span minus mean outside it
    inside: float
    outside: float

    @property
    def threshold(self) -> float:
        return (self.inside + self.outside) / 2


def span_units(values: np.ndarray, start: int, stop: int, count: int = 5) -> list[SpanUnit]:
    """The `count` units of `values` [T, H] most specific to positions start..stop."""
    steps = values.shape[0]
    if not 0 <= start <= stop < steps:
        raise UserError(f"Choose a span inside the sentence (positions 0 to {steps - 1}), "
                        "first position before the last.")
    inside = values[start:stop + 1].mean(axis=0)
    rest = np.concatenate([values[:start], values[stop + 1:]])
    outside = rest.mean(axis=0) if len(rest) else np.zeros(values.shape[1])
    score = inside - outside
    order = np.argsort(-score, kind="stable")[:count]
    return [SpanUnit(int(j), float(score[j]), float(inside[j]), float(outside[j]))
            for j in order if score[j] > 0]


def scan_together(bundle: Any, documents: Sequence[Any], series: str, units: list[SpanUnit],
                  layer: int = 0, direction: str = "forward", *, top: int = 20,
                  context: int = CONTEXT, batch_size: int = BATCH,
                  progress: Progress | None = None) -> ScanResult:
    """Places where all `units` fire at once (each at or above its threshold), best first.

    A place is a maximal run of positions where they all fire; its score is the smallest margin
    (value − threshold) over units, averaged over the run. One place per document is kept.
    """
    if not units:
        raise UserError("No unit is more active inside the span than outside it; choose "
                        "another span.")
    for item in units:
        check_unit(bundle, UnitRef(series, item.unit, layer, direction))
    if not documents:
        raise UserError("There are no documents to scan; load a dataset with this split.")
    started = time.perf_counter()
    params = _model_params(bundle)
    ref = UnitRef(series, units[0].unit, layer, direction)
    chosen = [item.unit for item in units]
    thresholds = np.array([item.threshold for item in units])
    heap: list[tuple[float, int, int, int]] = []
    tokens = scanned = matches = 0
    for indices, ids, read in _batches(bundle, documents, batch_size):
        report(progress, read, len(documents), "scanning for the units together")
        values, lengths = _series_values(bundle, ref, ids, chosen, params)
        margin = (values - thresholds).min(axis=2)  # [B, T]
        live = np.arange(values.shape[1])[None, :] < lengths[:, None]
        firing = (margin >= 0) & live
        tokens += int(lengths.sum())
        scanned += len(ids)
        for row in np.flatnonzero(firing.any(axis=1)):
            best = _best_run(firing[row], margin[row])
            matches += best[3]
            item = (best[0], -indices[row], best[1], best[2])
            if len(heap) < top:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
    hits = []
    for score, negative_doc, first, last in sorted(heap, reverse=True):
        doc = documents[-negative_doc]
        start, words = _context(bundle, doc, first, last, context)
        hits.append(Hit(score=score, document=-negative_doc, source=doc.source, label=doc.label,
                        start=first, stop=last, context_start=start, tokens=words))
    report(progress, len(documents), len(documents), "scanned")
    return ScanResult(hits=hits, documents=scanned, tokens=tokens,
                      seconds=time.perf_counter() - started, units=chosen,
                      thresholds=[float(t) for t in thresholds], matches=matches)


def _best_run(firing: np.ndarray, margin: np.ndarray) -> tuple[float, int, int, int]:
    """(mean margin, first, last, number of runs) of the best run of True in `firing`."""
    edges = np.diff(np.concatenate([[0], firing.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    best = max(((float(margin[a:b + 1].mean()), int(a), int(b)) for a, b in zip(starts, stops,
                                                                                   strict=True)),
               key=lambda run: run[0])
    return best[0], best[1], best[2], len(starts)
