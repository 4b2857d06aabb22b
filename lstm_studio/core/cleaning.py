"""The cleaning pipeline over a whole dataset: text steps, then the language and empty filters.

Every document goes through the enabled steps of CLEANING_STEPS in order (cleaning_steps.py;
the Vietnamese ones in normalization.py and segmentation.py). `segment="auto"` is decided here,
once per corpus, and the returned config records the decision, the segmenter's version and the
abbreviation table used, which is what a model trained on the result stores and replays.
A step that fails on one document leaves it as it was before that step and is counted.

Filters drop a document if nothing is left ("empty") or if the language rules
(language_rules.py) say it is not in a target language ("language"), each with its reason in
words. They drop documents only from `config.filter_splits` (train, and valid if asked): the
test split is transformed like the others but never filtered, so it is scored whole, and the
report counts what the filters would have dropped there.

What language detection sees: the cleaned text with "_" read as a space (so segmenting a
corpus does not change its language decisions). Tags, links and emoji carry no language
but do mislead langid (on raw NTC-SCV text, seven Vietnamese reviews made of foody hashtag
anchors were detected as Northern Sami or Irish and one with a row of 👍 as Chinese), so if the user
switched off any of the NFC, URL/HTML or emoji steps, detection still runs on a copy with
those three applied. Punctuation, digits and case make no difference to langid's decisions
on NTC-SCV (identical drops with or without them), so detection simply reuses the cleaned text.
The whole text is used, not a prefix: langid's cost is mostly per document, not per byte.

Parallelism: documents are cut into fixed-size chunks and cleaned in worker processes started
with "spawn" (forking a process that runs Qt or torch threads can deadlock). Each document's
result depends on that document alone and chunks are reassembled in order, so the output is
identical for any number of workers. Workers import only torch-free modules and receive
langid's model from the parent, so they start in a fraction of a second. A frozen app must call
multiprocessing.freeze_support() first thing in its entry point for spawned workers to work.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import replace
from typing import Any, NamedTuple

from lstm_studio.core import segmentation
from lstm_studio.core.cleaning_report import (  # noqa: F401  (re-exported for callers)
    DROP_REASONS,
    CleaningReport,
    CleaningResult,
    DroppedDocument,
)
from lstm_studio.core.cleaning_steps import (
    STEP_FUNCTIONS,
    apply_cleaning,
    configured_steps,
    enabled_steps,
    run_steps,
)
from lstm_studio.core.config import (
    CleaningConfig,
    config_from_dict,
    config_to_dict,
    validate_cleaning,
)
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.language import LanguageDetector, ModelArrays, install_model, load_model
from lstm_studio.core.language_rules import Detection, LanguageRules
from lstm_studio.core.normalization import (
    VIETNAMESE_LETTERS,
    default_table,
    has_vietnamese_only_letters,
    lacks_diacritics,
)
from lstm_studio.core.progress import Progress, report

CHUNK_SIZE = 400  # documents per task: ~0.1 s of work, so cancelling is quick
SMALL_DATASET = 2000  # with workers=None, fewer documents are cleaned in-process
DETECTION_STEPS = ("normalize_unicode", "remove_urls_html", "remove_emoji",
                   "normalize_whitespace")


# --- text level ---------------------------------------------------------------------------

def clean_text(text: str, config: CleaningConfig) -> str:
    """The enabled text steps (no filters): what prediction applies to a sentence."""
    return apply_cleaning(text, config)


def clean_steps_trace(text: str, config: CleaningConfig) -> list[tuple[str, str]]:
    """[(step, text after it)] for each enabled step, in order, for a before/after view."""
    trace = []
    for name, function in configured_steps(config):
        text = run_steps(text, [(name, function)])[0]
        trace.append((name, text))
    return trace


def resolve_config(config: CleaningConfig, texts: list[str]) -> tuple[CleaningConfig, str]:
    """`config` with `segment` decided for these texts, the segmenter's version and the
    abbreviation table filled in; and the segmentation decision in words."""
    segment, segmenter = config.segment, None
    if segment == "auto":
        vietnamese = sum(1 for text in texts if _VIETNAMESE_LETTER_RE.search(text))
        on, why = segmentation.auto_decision(vietnamese, len(texts))
        segment = "on" if on else "off"
        note = f"auto, {why}"
    elif segment == "on":
        note = f"on ({segmentation.require()})"
    else:
        note = "off"
    if segment == "on":
        segmentation.preload()  # fails here, once and clearly, rather than on every document
        segmenter = segmentation.description()
    table = config.abbreviations
    if config.steps.get("expand_abbreviations") and table is None:
        table = default_table()
    return replace(config, segment=segment, segmenter=segmenter, abbreviations=table), note


_VIETNAMESE_LETTER_RE = re.compile("[" + "".join(sorted(VIETNAMESE_LETTERS)) + "]")


# --- one chunk (runs in worker processes; keep it picklable and torch-free) -----------------

_detectors: dict[tuple[str, ...], LanguageDetector] = {}


def _detector(candidates: tuple[str, ...]) -> LanguageDetector:
    if candidates not in _detectors:
        _detectors[candidates] = LanguageDetector(candidates or None)
    return _detectors[candidates]


def _init_worker(model: ModelArrays | None) -> None:
    if model is not None:
        install_model(model)


class DocResult(NamedTuple):
    """One cleaned document as a worker hands it back."""

    text: str
    changed: int  # bit i: enabled step i changed the text
    failed: int  # bit i: enabled step i failed on it (the text skipped that step)
    language: str  # "" when not detected
    probability: float
    words: int  # word tokens langid saw
    vietnamese_only: bool
    no_diacritics: bool
    scores: Any  # langid's scores per language for short texts (the short-text rules)
    joined: tuple[int, int, int, int]  # word tokens and joined ones, before and after


def _clean_chunk(texts: list[str], config: dict[str, Any]) -> list[DocResult]:
    settings = config_from_dict(CleaningConfig, config)
    functions = configured_steps(settings)
    names = {name for name, _ in functions}
    detect = settings.detect_language
    detector = _detector(tuple(settings.candidate_languages or ())) if detect else None
    reuse_cleaned = set(DETECTION_STEPS[:3]) <= names
    short = settings.short_text_words
    results: list[DocResult] = []
    for original in texts:
        text, changed, failed = run_steps(original, functions)
        language, probability, words, only, scores = "", 0.0, 0, False, None
        if detector is not None and text.strip():
            if reuse_cleaned:
                view = text
            else:
                view = original
                for name in DETECTION_STEPS:
                    view = STEP_FUNCTIONS[name](view)
            view = view.replace("_", " ")
            words = segmentation.word_tokens(view)
            only = has_vietnamese_only_letters(view)
            all_scores = detector.scores(view)
            language, probability = detector.decide(all_scores)
            if words < short:
                scores = all_scores
        joined = (*segmentation.joined_counts([original]), *segmentation.joined_counts([text]))
        results.append(DocResult(text, changed, failed, language, probability, words, only,
                                 lacks_diacritics(original), scores, joined))
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
    config, segmentation_note = resolve_config(config, texts)
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
    result.report.segmentation = segmentation_note
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
    results: list[DocResult] = []
    for cleaned in iter_cleaned(chunks, config, workers):
        results.extend(cleaned)
        report(progress, len(results), total, "Cleaning")
    return results


def iter_cleaned(chunks: Iterable[list[str]], config: dict[str, Any],
                 workers: int) -> Iterator[list[DocResult]]:
    """Each chunk's results, in order, as soon as they are ready: `workers - 1` processes plus
    this one, which cleans chunks too while they run (one process fewer to start, and the
    others' start-up of about 0.2 s each is hidden behind useful work).

    `chunks` may be a generator (the on-disk store streams a corpus that does not fit in
    memory): at most 2 chunks per process are in flight, so memory stays bounded and a paused
    consumer (progress blocks while paused) soon stops the workers.
    """
    if workers <= 1:
        for chunk in chunks:
            yield _clean_chunk(chunk, config)
        return
    model = load_model() if config["detect_language"] else None
    context = multiprocessing.get_context("spawn")
    processes = workers - 1
    source = iter(chunks)
    queue: deque[Future | list[DocResult]] = deque()  # in chunk order
    with ProcessPoolExecutor(max_workers=processes, mp_context=context,
                             initializer=_init_worker, initargs=(model,)) as pool:
        try:
            exhausted = False
            while not exhausted or queue:
                in_flight = sum(isinstance(item, Future) for item in queue)
                while not exhausted and in_flight < 2 * processes:
                    chunk = next(source, None)
                    if chunk is None:
                        exhausted = True
                    else:
                        queue.append(pool.submit(_clean_chunk, chunk, config))
                        in_flight += 1
                if not exhausted:
                    chunk = next(source, None)
                    if chunk is None:
                        exhausted = True
                    else:
                        queue.append(_clean_chunk(chunk, config))
                elif queue and isinstance(queue[0], Future):
                    wait([queue[0]], timeout=0.2)
                while queue and (not isinstance(queue[0], Future) or queue[0].done()):
                    head = queue.popleft()
                    yield head.result() if isinstance(head, Future) else head
        except BaseException:
            for item in queue:
                if isinstance(item, Future):
                    item.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def drop_reason(result: DocResult, config: CleaningConfig,
                rules: LanguageRules | None) -> tuple[str, str] | None:
    """(reason, detail) when the filters would drop this cleaned document, else None. Where a
    document is dropped from is the caller's business (never from the test split)."""
    if not result.text.strip():
        return ("empty", "nothing left after cleaning") if config.drop_empty else None
    if rules is not None:
        verdict = rules.judge(detection_of(result))
        if not verdict.keep:
            return "language", verdict.detail
    return None


def detection_of(result: DocResult) -> Detection:
    return Detection(result.language, result.probability, result.words,
                     result.vietnamese_only, result.scores)


def corpus_rules(config: CleaningConfig, detections: Iterable[Detection] = (),
                 votes: Counter[str] | None = None) -> LanguageRules | None:
    """The language filter for one corpus, or None when detection is off."""
    if not config.detect_language:
        return None
    return LanguageRules(config.languages, config.threshold, config.short_text_words,
                         _detector(tuple(config.candidate_languages or ())).languages,
                         detections, votes)


def _assemble(dataset: Dataset, results: list[DocResult],
              config: CleaningConfig) -> CleaningResult:
    documents = dataset.documents
    names = enabled_steps(config)
    steps_changed = dict.fromkeys(names, 0)
    steps_failed = dict.fromkeys(names, 0)
    languages: dict[str, int] = {}
    dropped: list[DroppedDocument] = []
    kept: list[Document] = []
    spared: dict[str, int] = {}
    filtered = set(config.filter_splits)
    rules = corpus_rules(config, (detection_of(r) for r in results))
    totals = [0, 0, 0, 0]
    no_diacritics = [0, 0]  # kept, dropped
    for doc, result in zip(documents, results, strict=True):
        for bit, name in enumerate(names):
            if result.changed >> bit & 1:
                steps_changed[name] += 1
            if result.failed >> bit & 1:
                steps_failed[name] += 1
        for i, count in enumerate(result.joined):
            totals[i] += count
        if result.language:
            languages[result.language] = languages.get(result.language, 0) + 1
        reason = drop_reason(result, config, rules)
        if reason is not None:
            drop = DroppedDocument(doc, *reason)
            if doc.split in filtered:
                dropped.append(drop)
                no_diacritics[1] += result.no_diacritics
                continue
            spared[doc.split] = spared.get(doc.split, 0) + 1
        no_diacritics[0] += result.no_diacritics
        kept.append(replace(doc, text=result.text))
    sorted_languages = dict(sorted(languages.items(), key=lambda item: (-item[1], item[0])))
    cleaning_report = CleaningReport(
        total=len(documents), kept=len(kept), steps_changed=steps_changed,
        steps_failed={name: n for name, n in steps_failed.items() if n},
        languages=sorted_languages, dropped=dropped,
        words_before=totals[0], joined_before=totals[1], words_after=totals[2],
        joined_after=totals[3], no_diacritics=no_diacritics[0],
        no_diacritics_dropped=no_diacritics[1],
        corpus_languages=list(rules.competitors) if rules is not None else [],
        filtered_splits=[split for split in ("train", "valid") if split in filtered],
        spared=spared,
    )
    return CleaningResult(dataset=dataset.with_documents(kept), report=cleaning_report,
                          config=config)
