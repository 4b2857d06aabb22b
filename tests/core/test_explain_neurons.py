"""Neuron search, histograms and unit ordering, against values computed independently."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from explain_fixtures import WORDS, bundle

from lstm_studio.core.dataset import Document
from lstm_studio.core.errors import UserError
from lstm_studio.core.explain.histogram import StreamingHistogram
from lstm_studio.core.explain.neurons import (
    UnitRef,
    scan_together,
    scan_unit,
    span_units,
)
from lstm_studio.core.explain.unit_order import parse_unit_list, rank_units, unit_contributions
from lstm_studio.core.gates import trace
from lstm_studio.core.inspection import series
from lstm_studio.core.progress import Progress

torch.set_num_threads(1)


def _documents(count: int = 60, seed: int = 0) -> list[Document]:
    rng = random.Random(seed)
    return [Document(" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14))),
                     "pos" if i % 2 else "neg", "test", f"doc{i}") for i in range(count)]


@pytest.mark.parametrize(("cell", "name", "layers", "bidirectional", "direction"), [
    ("lstm", "c", 2, True, "backward"), ("lstm", "f", 1, False, "forward"),
    ("gru", "z", 2, False, "forward"), ("rnn", "h", 1, True, "backward")])
def test_scan_finds_the_top_peaks_a_trace_finds(cell: str, name: str, layers: int,
                                                 bidirectional: bool, direction: str) -> None:
    b = bundle(scale=2.0, cell=cell, num_layers=layers, bidirectional=bidirectional)
    docs = _documents()
    layer = layers - 1
    ref = UnitRef(name, 2, layer, direction)
    result = scan_unit(b, docs, ref, top=5, batch_size=7)
    # Independently: trace every document and take each one's peak.
    peaks, every = [], []
    for index, doc in enumerate(docs):
        values = series(trace(b, doc.text).get(layer, direction))[name][:, 2]
        every.extend(values)
        peaks.append((float(values.max()), index, int(values.argmax())))
    best = sorted(peaks, key=lambda p: (-p[0], p[1]))[:5]
    assert [hit.document for hit in result.hits] == [p[1] for p in best]
    assert [hit.score for hit in result.hits] == pytest.approx([p[0] for p in best], abs=1e-5)
    assert [hit.start for hit in result.hits] == [p[2] for p in best]
    hit = result.hits[0]
    tokens = b.prepare(docs[hit.document].text).tokens
    assert hit.tokens[hit.start - hit.context_start] == tokens[hit.start]
    assert hit.phrase == tokens[hit.start] and hit.source == docs[hit.document].source
    assert result.documents == len(docs) and result.tokens == len(every)
    assert result.histogram.count == len(every)
    assert result.histogram.mean == pytest.approx(float(np.mean(every)), abs=1e-5)
    assert result.histogram.maximum == pytest.approx(max(every), abs=1e-5)
    lowest = scan_unit(b, docs, ref, top=3, lowest=True)
    assert lowest.hits[0].score == pytest.approx(
        min(float(series(trace(b, d.text).get(layer, direction))[name][:, 2].min())
            for d in docs), abs=1e-5)


def test_scan_reports_progress_and_can_be_cancelled() -> None:
    b = bundle()
    seen: list[tuple[int, int]] = []
    progress = Progress(lambda done, total, _what: seen.append((done, total)), min_interval=0)
    scan_unit(b, _documents(40), UnitRef("h", 0), batch_size=4, progress=progress)
    assert seen[-1] == (40, 40) and len(seen) > 3
    progress = Progress(lambda done, _total, _what: progress.cancel() if done > 8 else None,
                        min_interval=0)
    from lstm_studio.core.errors import Cancelled

    with pytest.raises(Cancelled):
        scan_unit(b, _documents(200), UnitRef("h", 0), batch_size=4, progress=progress)


def test_units_specific_to_a_span_and_where_they_fire_together() -> None:
    b = bundle(scale=2.0)
    text = "món ăn rất ngon nhưng phục_vụ chậm quá"
    values = trace(b, text).get(0).h
    chosen = span_units(values, 2, 3, count=3)
    score = values[2:4].mean(axis=0) - np.concatenate([values[:2], values[4:]]).mean(axis=0)
    assert [u.unit for u in chosen] == [int(j) for j in np.argsort(-score)[:3] if score[j] > 0]
    docs = [*_documents(30), Document(text, "pos", "test", "the sentence")]
    result = scan_together(b, docs, "h", chosen, top=40)
    assert result.units == [u.unit for u in chosen] and result.matches >= 1
    sentence_hits = [h for h in result.hits if h.source == "the sentence"]
    assert sentence_hits  # the sentence the span came from is found
    for hit in result.hits:  # every reported place really has all units above threshold
        doc_values = trace(b, docs[hit.document].text).get(0).h[:, result.units]
        assert np.all(doc_values[hit.start:hit.stop + 1] >= np.array(result.thresholds) - 1e-6)
    with pytest.raises(UserError, match="inside the sentence"):
        span_units(values, 5, 2)


def test_streaming_histogram_is_exact_while_its_range_grows() -> None:
    rng = np.random.default_rng(0)
    chunks = [rng.normal(0, 0.3, 500), rng.normal(3, 2.0, 500), rng.normal(-9, 1.0, 100)]
    histogram = StreamingHistogram(-1.0, 1.0, bins=16)
    for chunk in chunks:
        histogram.add(chunk)
    everything = np.concatenate(chunks)
    edges = histogram.edges
    expected, _ = np.histogram(everything, bins=edges)
    assert histogram.counts.tolist() == expected.tolist()
    assert histogram.count == everything.size
    assert histogram.mean == pytest.approx(everything.mean())
    assert histogram.std == pytest.approx(everything.std())
    assert edges[0] <= everything.min() and edges[-1] >= everything.max()


def test_rank_units_by_each_criterion() -> None:
    values = np.array([[0.1, -0.9, 0.0], [0.2, 0.9, 0.5], [0.1, -0.9, 0.5]])
    data = {"h": values}
    assert rank_units(data, "active") == [1, 2, 0]
    assert rank_units(data, "changing") == [1, 2, 0]
    assert rank_units(data, "attributed", contributions=np.array([0.5, -0.1, -2.0])) == [2, 0, 1]
    assert rank_units(data, "list", units=[2, 0]) == [2, 0]
    assert rank_units(data, "active", limit=2) == [1, 2]
    assert parse_unit_list("3, 1-2; 3", 5) == [3, 1, 2]
    with pytest.raises(UserError, match="does not exist"):
        parse_unit_list("7", 5)
    with pytest.raises(UserError, match="not a unit"):
        parse_unit_list("a-b", 5)


@pytest.mark.parametrize(("layers", "bidirectional", "pooling"), [
    (1, False, "last"), (1, True, "mean"), (2, True, "max"), (2, False, "last")])
def test_top_layer_contributions_split_the_logit_exactly(layers: int, bidirectional: bool,
                                                         pooling: str) -> None:
    b = bundle(scale=2.0, num_layers=layers, bidirectional=bidirectional, pooling=pooling)
    text = "món ăn rất ngon nhưng phục_vụ chậm"
    tr = trace(b, text)
    total = 0.0
    for direction in tr.directions:
        values, label = unit_contributions(b, tr, layers - 1, direction, target="pos")
        total += float(values.sum())
        assert label == "pos" and values.shape == (tr.hidden_size,)
    ids = torch.tensor([b.prepare(text).ids])
    with torch.no_grad():
        logits = b.model(ids, torch.tensor([ids.shape[1]]))[0].double()
    weight, bias = b.model.head.weight.detach().double(), b.model.head.bias.detach().double()
    centred = logits - logits.mean() - (bias[2] - bias.mean())  # without the bias share
    assert total == pytest.approx(float(centred[2]), abs=1e-5)
    assert weight.shape[0] == 3
    if layers == 2:
        lower, _ = unit_contributions(b, tr, 0, "forward")
        assert np.all(np.isfinite(lower)) and np.any(lower != 0)


def test_checks_refuse_what_the_model_does_not_have() -> None:
    b = bundle(cell="gru")
    with pytest.raises(UserError, match="no series 'c'"):
        scan_unit(b, _documents(3), UnitRef("c", 0))
    with pytest.raises(UserError, match="Unit 99 does not exist"):
        scan_unit(b, _documents(3), UnitRef("h", 99))
    with pytest.raises(UserError, match="no documents"):
        scan_unit(b, [], UnitRef("h", 0))
    lm = bundle(task="lm")
    with pytest.raises(UserError, match="classifiers only"):
        unit_contributions(lm, trace(lm, "món ăn"), 0, "forward")
