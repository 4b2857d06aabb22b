"""`export --format card`: what a model is, what it was trained on, how well it does and
where it should not be trusted, as Markdown and HTML (with SVG figures beside them).

Everything the model file holds is always shown (settings, vocabulary, training curves,
headline metrics). With data sources (`--data`), the cleaning report, split sizes, per-class
metrics, confusion matrices and calibration are recomputed; without them the card says so
instead of leaving a blank. Blocks are built once and rendered twice (card_render.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lstm_studio import __version__
from lstm_studio.core.checkpoint import ModelBundle
from lstm_studio.core.cleaning_steps import STEP_TITLES, enabled_steps
from lstm_studio.core.config import DataConfig
from lstm_studio.core.export.card_data import CardData, compute_card_data
from lstm_studio.core.export.card_render import (
    Block,
    Bullets,
    Figure,
    Heading,
    Paragraph,
    Table,
    to_html,
    to_markdown,
)
from lstm_studio.core.export.common import ExportResult, check_target, write_file
from lstm_studio.core.export.svg_chart import curves_svg, reliability_svg
from lstm_studio.core.progress import Progress

NO_DATA = ("not available: the model file does not keep the documents; export the card with "
           "data (`--data`, or Data in the Export dialog) to compute it")


def _model_line(bundle: ModelBundle) -> str:
    c = bundle.model_config
    shape = (f"{c.num_layers}-layer {'bidirectional ' if c.bidirectional else ''}"
             f"{c.cell.upper()}{f' ({c.nonlinearity})' if c.cell == 'rnn' else ''}")
    return (f"{shape}, embedding {c.embedding_dim}, hidden {c.hidden_size}, "
            f"{'pooling ' + c.pooling + ', ' if c.task == 'classify' else ''}"
            f"dropout {c.dropout:g}")


def _overview(bundle: ModelBundle, name: str) -> list[Block]:
    from lstm_studio.core.models import count_parameters

    info = bundle.info
    task = ("text classifier (" + ", ".join(bundle.labels) + ")" if bundle.task == "classify"
            else "next-word language model")
    rows = [("Task", task), ("Model", _model_line(bundle)),
            ("Parameters", f"{count_parameters(bundle.model):,}"),
            ("Vocabulary", f"{len(bundle.vocab):,} tokens (minimum frequency "
                           f"{bundle.vocab_config.min_freq}, limit "
                           f"{bundle.vocab_config.max_size or 'none'})"),
            ("Maximum length", f"{bundle.max_len} tokens (longer texts are cut)"
             if bundle.max_len else "none"),
            ("Trained with", f"LSTM Studio {info.get('app_version') or '?'}"
             + (f", run {info['run_id']}" if info.get("run_id") else "")
             + (f", status {info['status']}" if info.get("status") else "")),
            ("Card written", f"{time.strftime('%Y-%m-%d %H:%M')} by LSTM Studio {__version__}")]
    return [Heading(f"Model card: {name}", 1), Table(("", ""), rows)]


def _data_section(bundle: ModelBundle, card: CardData | None) -> list[Block]:
    blocks: list[Block] = [Heading("Data")]
    sources = card.sources if card else (bundle.data_config.sources if bundle.data_config
                                         else [])
    blocks.append(Bullets([f"`{s}`" for s in sources] or ["no sources recorded"]))
    if card:
        blocks.append(Table(("Split", "Loaded", "Used (after cleaning)"),
                            [(s, card.raw_sizes.get(s, 0), card.split_sizes.get(s, 0))
                             for s in ("train", "valid", "test")]))
        if card.raw_sizes.get("valid", 0) == 0:
            blocks.append(Paragraph("The data has no validation split: as in training, 10% of "
                                    "each label's training documents were held out."))
    else:
        stored = {k: (bundle.metrics.get(k) or {}).get("documents") for k in ("valid", "test")}
        blocks.append(Paragraph("Split sizes: " + ", ".join(
            f"{k} {v} documents" for k, v in stored.items() if v) + "; training split size "
            + NO_DATA + "." if any(stored.values()) else "Split sizes " + NO_DATA + "."))
    cleaning = bundle.cleaning_config
    blocks.append(Heading("Cleaning", 3))
    if cleaning is None:
        blocks.append(Paragraph("The training text was used as it was (no cleaning)."))
        return blocks
    steps = [STEP_TITLES[s] for s in enabled_steps(cleaning)]
    languages = (f"kept documents langid detects as {', '.join(cleaning.languages)} with "
                 f"probability at least {cleaning.threshold:g}" if cleaning.detect_language
                 else "no language filter")
    blocks.append(Bullets([f"Steps: {', '.join(steps) or 'none'}", f"Language: {languages}"]))
    if card and card.cleaning:
        report = card.cleaning
        dropped = report["dropped"]
        blocks.append(Paragraph(
            f"Cleaning kept {report['kept']:,} of {report['total']:,} documents; dropped "
            f"{dropped.get('language', 0):,} in another language and {dropped.get('empty', 0):,}"
            " left empty."))
        if report["languages"]:
            top = list(report["languages"].items())[:6]
            blocks.append(Table(("Detected language", "Documents"), top))
        if report["steps"]:
            blocks.append(Table(("Step", "Documents changed"),
                                [(STEP_TITLES.get(k, k), v) for k, v in report["steps"].items()]))
    else:
        blocks.append(Paragraph(f"Cleaning report {NO_DATA}."))
    return blocks


def _training_section(bundle: ModelBundle, stem: str) -> list[Block]:
    t = bundle.train_config
    blocks: list[Block] = [Heading("Training"), Paragraph(
        f"Optimizer {t.optimizer}, learning rate {t.lr:g}, batch size {t.batch_size}, "
        f"{t.epochs} epoch(s) planned, gradient clipping {t.grad_clip or 'off'}, seed {t.seed}"
        + (", best validated epoch kept" if t.restore_best else "") + ".")]
    history = bundle.history
    if not history:
        return [*blocks, Paragraph("No training history is stored in the model file.")]
    epochs = [float(e["epoch"]) for e in history]

    def series(key: str) -> list[tuple[float, float]]:
        return [(x, float(e[key])) for x, e in zip(epochs, history, strict=True)
                if e.get(key) is not None]

    second = (("Perplexity", [("valid", series("valid_perplexity"))]) if bundle.task == "lm"
              else ("Accuracy", [("train", series("train_accuracy")),
                                 ("valid", series("valid_accuracy"))]))
    svg = curves_svg([("Loss", [("train", series("train_loss")),
                                ("valid", series("valid_loss"))]), second])
    blocks.append(Figure(f"{stem}-training.svg", svg, "Training curves per epoch."))
    key = "valid_perplexity" if bundle.task == "lm" else "valid_accuracy"
    header = ("Epoch", "Train loss", "Valid loss",
              "Valid perplexity" if bundle.task == "lm" else "Valid accuracy", "Seconds")
    blocks.append(Table(header, [(e["epoch"], e["train_loss"], e["valid_loss"],
                                  e.get(key) if e.get(key) is not None else "-",
                                  f"{float(e.get('seconds') or 0.0):.1f}") for e in history]))
    return blocks


def _metrics_blocks(name: str, metrics: dict[str, Any]) -> list[Block]:
    if "accuracy" not in metrics:
        return [Paragraph(f"{name}: loss {metrics['loss']:.4f}, perplexity "
                          f"{metrics['perplexity']:.2f} over {metrics.get('tokens', '?')} "
                          "tokens.")]
    labels = metrics["labels"]
    blocks: list[Block] = [Heading(f"{name.capitalize()} split", 3), Paragraph(
        f"{metrics['documents']:,} documents: accuracy {metrics['accuracy']:.4f}, macro-F1 "
        f"{metrics['macro_f1']:.4f}, loss {metrics['loss']:.4f}.")]
    blocks.append(Table(("Label", "Precision", "Recall", "F1", "Support"),
                        [(label, s["precision"], s["recall"], s["f1"], s["support"])
                         for label, s in metrics["per_class"].items()]))
    blocks.append(Paragraph("Confusion matrix (rows: true label, columns: predicted):"))
    blocks.append(Table(("true \\ predicted", *labels),
                        [(label, *row) for label, row in zip(labels, metrics["confusion"],
                                                             strict=True)]))
    return blocks


def _evaluation_section(bundle: ModelBundle, card: CardData | None, stem: str) -> list[Block]:
    blocks: list[Block] = [Heading("Evaluation")]
    if card and card.metrics:
        for name in ("valid", "test"):
            if name in card.metrics:
                blocks += _metrics_blocks(name, card.metrics[name])
        if "test" not in card.metrics:
            blocks.append(Paragraph("The data has no test split: the figures above are on "
                                    "validation data, which chose the kept epoch."))
    else:
        rows = []
        for name in ("valid", "test"):
            m = bundle.metrics.get(name) or {}
            if m:
                rows.append((name, m.get("documents", "-"), m.get("accuracy", "-"),
                             m.get("macro_f1", "-"), m.get("loss", "-")))
        if rows:
            blocks.append(Table(("Split", "Documents", "Accuracy", "Macro-F1", "Loss"), rows))
        blocks.append(Paragraph(f"Per-class figures and confusion matrices: {NO_DATA}."))
    if bundle.task != "classify":
        return blocks
    blocks.append(Heading("Calibration", 3))
    if card is None or card.calibration is None:
        blocks.append(Paragraph(f"Calibration {NO_DATA}."))
        return blocks
    cal = card.calibration
    blocks.append(Paragraph(
        f"On the {cal['split']} split ({cal['documents']:,} documents) the expected "
        f"calibration error is {cal['ece']:.4f}: on average the probability of the predicted "
        "label differs from how often such predictions are right by that much."))
    blocks.append(Figure(f"{stem}-calibration.svg", reliability_svg(cal["bins"]),
                         "Accuracy per confidence bin; the dashed diagonal is perfect "
                         "calibration."))
    blocks.append(Table(("Confidence", "Documents", "Mean confidence", "Accuracy"),
                        [(f"{b['low']:.1f}–{b['high']:.1f}", b["count"], b["confidence"],
                          b["accuracy"]) for b in cal["bins"] if b["count"]]))
    return blocks


def _limits(bundle: ModelBundle, card: CardData | None) -> list[Block]:
    items = []
    cleaning = bundle.cleaning_config
    if cleaning is not None and cleaning.detect_language:
        items.append(f"Language: trained on {', '.join(cleaning.languages)} text only. A "
                     "prediction does not check the language of its input, so text in another "
                     "language still gets an answer, and it means little.")
    sources = card.sources if card else (bundle.data_config.sources if bundle.data_config
                                         else [])
    if sources:
        names = ", ".join(Path(s).name for s in sources)
        items.append(f"Domain: learned from {names}; scores on other kinds of text (another "
                     "site, product rather than restaurant reviews, formal prose) will differ.")
    if bundle.max_len:
        items.append(f"Length: only the first {bundle.max_len} tokens of a text are read.")
    items.append(f"Vocabulary: words outside the {len(bundle.vocab):,} known tokens all read "
                 "as one unknown token" + (f" ({card.oov_rate:.1%} of validation tokens)"
                                           if card and card.oov_rate is not None else "") + ".")
    if bundle.task == "classify":
        items.append(f"Labels: it can only answer {', '.join(bundle.labels)}; there is no "
                     "'none of these'.")
    if card and card.calibration and card.calibration["ece"] > 0.05:
        items.append("Its probabilities are not well calibrated (expected calibration error "
                     f"{card.calibration['ece']:.3f}); do not read them as exact chances.")
    return [Heading("Known limits"), Bullets(items)]


def card_blocks(bundle: ModelBundle, name: str, card: CardData | None, stem: str
                ) -> list[Block]:
    return [*_overview(bundle, name), *_data_section(bundle, card),
            *_training_section(bundle, stem), *_evaluation_section(bundle, card, stem),
            *_limits(bundle, card)]


def export_card(bundle: ModelBundle, path: str | os.PathLike[str], name: str = "model",
                data: Sequence[str] | None = None, data_config: DataConfig | None = None,
                split: str | None = None, progress: Progress | None = None) -> ExportResult:
    """Write NAME.md, NAME.html and the SVG figures beside them."""
    target = check_target(path)
    card = (compute_card_data(bundle, data, data_config, split, progress)
            if data is not None else None)
    base = target.with_suffix("") if target.suffix.lower() in (".md", ".html") else target
    blocks = card_blocks(bundle, name, card, base.name)
    markdown = base.with_name(base.name + ".md")
    page = base.with_name(base.name + ".html")
    files = [write_file(markdown, to_markdown(blocks)),
             write_file(page, to_html(blocks, f"Model card: {name}"))]
    files += [write_file(base.with_name(b.file_name), b.svg) for b in blocks
              if isinstance(b, Figure)]
    what = "with figures from the data" if card else "from the model file alone"
    return ExportResult("card", files, f"Wrote the model card (Markdown and HTML) {what}:")
