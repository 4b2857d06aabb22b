"""The lecture's cleaning pipeline over a whole dataset: text steps, then language detection.

Every document goes through the enabled steps of CLEANING_STEPS in order (cleaning_steps.py),
then is dropped if nothing is left ("empty") or if langid does not recognise one of the target
languages with enough confidence ("language"). The report says how many documents each step
changed, which languages were detected and which documents were dropped and why.

What language detection sees: the cleaned text. Tags, links and emoji carry no language
but do mislead langid (on raw NTC-SCV text, seven Vietnamese reviews made of foody hashtag
anchors were detected as Northern Sami or Irish and one with a row of 👍 as Chinese), so if the user
switched off any of the NFC, URL/HTML or emoji steps, detection still runs on a copy with
those three applied. Punctuation, digits and case make no difference to langid's decisions
on NTC-SCV (identical drops with or without them), so detection simply reuses the cleaned text.
The whole text is used, not a prefix: langid's cost is mostly per document, not per byte.

Parallelism: documents are cut into fixed-size chunks and cleaned in worker processes started
with "spawn" (forking a process that runs Qt or torch threads can deadlock). Each document's
result depends on that document alone and chunks are reassembled in order, so the output is
identical for any number of workers. Workers import only this torch-free module and receive
langid's model from the parent, so they start in a fraction of a second. A frozen app must call
multiprocessing.freeze_support() first thing in its entry point for spawned workers to work.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from lstm_studio.core.cleaning_steps import STEP_FUNCTIONS, apply_steps, enabled_steps
from lstm_studio.core.config import (
    CLEANING_STEPS,
    CleaningConfig,
    config_to_dict,
    validate_cleaning,
)
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.language import LanguageDetector, ModelArrays, install_model, load_model
from lstm_studio.core.progress import Progress, report

CHUNK_SIZE = 400  # documents per task: ~0.1 s of work, so cancelling is quick
SMALL_DATASET = 2000  # with workers=None, fewer documents are cleaned in-process
DETECTION_STEPS = ("normalize_unicode", "remove_urls_html", "remove_emoji",
                   "normalize_whitespace")
DROP_REASONS = ("language", "empty")


@dataclass(frozen=True)
class DroppedDocument:
    document: Document  # the original, uncleaned document
    reason: str  # "language" | "empty"
    detail: str  # e.g. "en (0.99)"; "" for empty documents

    def to_dict(self) -> dict[str, Any]:
        doc = self.document
        return {"reason": self.reason, "detail": self.detail, "source": doc.source,
                "split": doc.split, "label": doc.label, "text": doc.text}


@dataclass
class CleaningReport:
    total: int = 0
    kept: int = 0
    steps_changed: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)  # detected language -> documents
    dropped: list[DroppedDocument] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1

    def dropped_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(DROP_REASONS, 0)
        for item in self.dropped:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return counts

    def to_dict(self, include_dropped: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "total": self.total,
            "kept": self.kept,
            "dropped": self.dropped_counts(),
            "languages": dict(self.languages),
            "steps": dict(self.steps_changed),
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
        }
        if include_dropped:
            data["dropped_documents"] = [item.to_dict() for item in self.dropped]
        return data


@dataclass
class CleaningResult:
    dataset: Dataset  # kept documents, cleaned, in their original order
    report: CleaningReport
    # The settings that produced this result: a model trained on it stores these, not
    # whatever the Clean tab shows after later edits.
    config: CleaningConfig | None = None


# --- text level ---------------------------------------------------------------------------

def clean_text(text: str, config: CleaningConfig) -> str:
    """The enabled text steps (no language detection): what prediction applies to a sentence."""
    return apply_steps(text, config.steps)


def clean_steps_trace(text: str, config: CleaningConfig) -> list[tuple[str, str]]:
    """[(step, text after it)] for each enabled step, in order, for a before/after view."""
    trace = []
    for name in enabled_steps(config.steps):
        text = STEP_FUNCTIONS[name](text)
        trace.append((name, text))
    return trace


# --- one chunk (runs in worker processes; keep it picklable and torch-free) -----------------

_detectors: dict[tuple[str, ...], LanguageDetector] = {}


def _detector(candidates: tuple[str, ...]) -> LanguageDetector:
    if candidates not in _detectors:
        _detectors[candidates] = LanguageDetector(candidates or None)
    return _detectors[candidates]


def _init_worker(model: ModelArrays | None) -> None:
    if model is not None:
        install_model(model)


# Per document: (cleaned text, bitmask of steps that changed it, language or "", probability).
DocResult = tuple[str, int, str, float]


def _clean_chunk(texts: list[str], config: dict[str, Any]) -> list[DocResult]:
    steps = enabled_steps(config["steps"])
    functions = [(1 << CLEANING_STEPS.index(name), STEP_FUNCTIONS[name]) for name in steps]
    detect = config["detect_language"]
    detector = _detector(tuple(config["candidate_languages"] or ())) if detect else None
    reuse_cleaned = set(DETECTION_STEPS[:3]) <= set(steps)
    results: list[DocResult] = []
    for original in texts:
        text, changed = original, 0
        for bit, function in functions:
            after = function(text)
            if after != text:
                changed |= bit
                text = after
        language, probability = "", 0.0
        if detector is not None and text.strip():
            if reuse_cleaned:
                view = text
            else:
                view = original
                for name in DETECTION_STEPS:
                    view = STEP_FUNCTIONS[name](view)
            language, probability = detector.detect(view)
        results.append((text, changed, language, probability))
    return results


# --- the dataset ----------------------------------------------------------------------------

def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def clean_dataset(dataset: Dataset, config: CleaningConfig, progress: Progress | None = None,
                  workers: int | None = None) -> CleaningResult:
    """Clean every document, detect languages, drop empty and off-language documents.

    `workers=None` uses every core (in-process for small datasets, where starting processes
    costs more than it saves); `workers=1` never starts a process. The result does not depend
    on `workers`.
    """
    validate_cleaning(config)
    start = time.perf_counter()
    documents = dataset.documents
    texts = [doc.text for doc in documents]
    config_dict = config_to_dict(config)
    if workers is None:
        workers = 1 if len(texts) < SMALL_DATASET else default_workers()
    chunks = [texts[i:i + CHUNK_SIZE] for i in range(0, len(texts), CHUNK_SIZE)]
    workers = max(1, min(workers, len(chunks)))
    report(progress, 0, len(texts), "Cleaning")
    if workers == 1:
        results = _run_in_process(chunks, config_dict, len(texts), progress)
    else:
        results = _run_in_processes(chunks, config_dict, len(texts), workers, progress)
    result = _assemble(dataset, results, config)
    result.report.seconds = time.perf_counter() - start
    result.report.workers = workers
    return result


def _run_in_process(chunks: list[list[str]], config: dict[str, Any], total: int,
                    progress: Progress | None) -> list[DocResult]:
    results: list[DocResult] = []
    for chunk in chunks:
        results.extend(_clean_chunk(chunk, config))
        report(progress, len(results), total, "Cleaning")
    return results


def _run_in_processes(chunks: list[list[str]], config: dict[str, Any], total: int,
                      workers: int, progress: Progress | None) -> list[DocResult]:
    """`workers - 1` processes plus this one, which cleans chunks too while they run.

    Working here as well saves starting one process and hides the others' start-up (about
    0.2 s each: interpreter, numpy, the model) behind useful work.
    """
    model = load_model() if config["detect_language"] else None
    context = multiprocessing.get_context("spawn")
    done_chunks: list[list[DocResult] | None] = [None] * len(chunks)
    pending: dict[Future, int] = {}
    next_chunk = done = 0
    processes = workers - 1
    with ProcessPoolExecutor(max_workers=processes, mp_context=context,
                             initializer=_init_worker, initargs=(model,)) as pool:
        try:
            while next_chunk < len(chunks) or pending:
                # A bounded queue: pausing (which blocks in report()) soon stops the workers.
                while next_chunk < len(chunks) and len(pending) < 2 * processes:
                    future = pool.submit(_clean_chunk, chunks[next_chunk], config)
                    pending[future] = next_chunk
                    next_chunk += 1
                if next_chunk < len(chunks):
                    done_chunks[next_chunk] = _clean_chunk(chunks[next_chunk], config)
                    done += len(chunks[next_chunk])
                    next_chunk += 1
                    timeout = 0.0
                else:
                    timeout = 0.2
                finished, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = pending.pop(future)
                    done_chunks[index] = future.result()
                    done += len(chunks[index])
                report(progress, done, total, "Cleaning")
        except BaseException:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [item for chunk in done_chunks if chunk is not None for item in chunk]


def _assemble(dataset: Dataset, results: list[DocResult],
              config: CleaningConfig) -> CleaningResult:
    documents = dataset.documents
    steps_changed = {name: 0 for name in enabled_steps(config.steps)}
    bits = [(name, 1 << CLEANING_STEPS.index(name)) for name in steps_changed]
    languages: dict[str, int] = {}
    dropped: list[DroppedDocument] = []
    kept: list[Document] = []
    targets = set(config.languages)
    for doc, (text, changed, language, probability) in zip(documents, results, strict=True):
        for name, bit in bits:
            if changed & bit:
                steps_changed[name] += 1
        if language:
            languages[language] = languages.get(language, 0) + 1
        if not text.strip():
            if config.drop_empty:
                dropped.append(DroppedDocument(doc, "empty", ""))
                continue
        elif config.detect_language and not (
                language in targets and probability >= config.threshold):
            dropped.append(DroppedDocument(doc, "language", f"{language} ({probability:.2f})"))
            continue
        kept.append(replace(doc, text=text))
    sorted_languages = dict(sorted(languages.items(), key=lambda item: (-item[1], item[0])))
    cleaning_report = CleaningReport(
        total=len(documents), kept=len(kept), steps_changed=steps_changed,
        languages=sorted_languages, dropped=dropped,
    )
    return CleaningResult(dataset=dataset.with_documents(kept), report=cleaning_report,
                          config=config)
